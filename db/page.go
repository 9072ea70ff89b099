package db

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PageSize is the length of every public list page.
const PageSize = 20

// Cursor is a keyset position: the sort time and id of the last row shown.
// Keyset pagination stays fast on page 10,000 where OFFSET would not.
type Cursor struct {
	At time.Time
	ID int64
}

// IsZero reports whether c points at the start of a list.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// String encodes c for a URL query parameter.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	return strconv.FormatInt(c.At.UnixMicro(), 36) + "." + strconv.FormatInt(c.ID, 36)
}

// The times a cursor may carry, in microseconds since 1970: 1900 to 2200.
var (
	cursorMin = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	cursorMax = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
)

// ParseCursor decodes a cursor from a URL; an empty string is the start.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	ts, id, ok := strings.Cut(s, ".")
	if !ok {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, ErrNotFound)
	}
	us, err1 := strconv.ParseInt(ts, 36, 64)
	n, err2 := strconv.ParseInt(id, 36, 64)
	// A cursor this site made lies between its first row and now; one from
	// outside PostgreSQL's calendar would make the query fail, not miss.
	if err1 != nil || err2 != nil || n <= 0 || us < cursorMin || us > cursorMax {
		return Cursor{}, fmt.Errorf("cursor %q: %w", s, ErrNotFound)
	}
	return Cursor{At: time.UnixMicro(us).UTC(), ID: n}, nil
}

// Page is one page of a keyset-paginated list.
type Page[T any] struct {
	Items []T
	Next  Cursor // zero when this is the last page
}

// paginate trims the one extra row a query fetched to learn whether a next
// page exists, and computes its cursor.
func paginate[T any](rows []T, limit int, key func(*T) Cursor) Page[T] {
	if len(rows) <= limit {
		return Page[T]{Items: rows}
	}
	rows = rows[:limit]
	return Page[T]{Items: rows, Next: key(&rows[limit-1])}
}
