package db

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"
)

// Unavailable reports whether err says the database cannot be reached or
// cannot take the work now, rather than that the work itself is wrong: the
// connection was refused, cut or timed out, the pool is closed, or the
// server answered that it is starting up, shutting down, has too many
// clients or ran out of resources. The HTTP layer answers these with 503
// and Retry-After, and serve waits for them at start.
//
// An answer from the server about the request or the configuration (a
// wrong password, a missing database, a constraint) is not unavailability:
// waiting would not help.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case strings.HasPrefix(pgErr.Code, "53"): // insufficient resources: too many clients, out of memory, disk full
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // admin or crash shutdown, starting up
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true // the server hung up mid-conversation
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, puddle.ErrClosedPool):
		return true
	case pgconn.Timeout(err), pgconn.SafeToRetry(err):
		return true
	}
	return false
}
