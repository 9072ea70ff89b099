package db_test

import (
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db/dbtest"
)

// TestHomeQueriesSelectFromOneTableEach guards against bun adding the model's
// table next to an aliased table expression (a silent cross join).
func TestHomeQueriesSelectFromOneTableEach(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	n, e, p := d.HomeQueries(time.Now())
	for _, q := range []interface{ String() string }{n, e, p} {
		sql := q.String()
		from := sql[strings.Index(sql, " FROM ")+6:]
		if end := strings.Index(from, " JOIN "); end >= 0 {
			from = from[:end]
		} else if end := strings.Index(from, " WHERE "); end >= 0 {
			from = from[:end]
		}
		if strings.Contains(from, ",") {
			t.Errorf("cross join in %s", sql)
		}
	}
}
