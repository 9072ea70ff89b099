package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/wardportal/portal/db"
)

// memberQueries is the mix a ward clerk types into /staff/members: family
// names and their kana by prefix (one and two characters too), phone and
// e-mail prefixes, an exact user ID, and a status filter.
var memberQueries = []db.MemberQuery{
	{Name: "佐藤"}, {Name: "鈴木"}, {Name: "高橋"}, {Name: "田"}, {Name: "渡辺 "},
	{Kana: "サトウ"}, {Kana: "タ"}, {Phone: "0352"}, {Phone: "090"},
	{Email: "user12"}, {LoginID: "M0123456"}, {Status: db.StatusPending},
	{Name: "山", Status: db.StatusActive},
}

// runMemberSearch measures the staff member search at the seeded size
// through the same data-layer call the page makes, audit entries included.
func runMemberSearch(ctx context.Context, env *Env) ([]Figure, error) {
	staff, err := benchStaff(ctx, env.DB)
	if err != nil {
		return nil, err
	}
	members, err := env.DB.Bun.NewSelect().Model((*db.Account)(nil)).Where("kind = ?", db.KindMember).Count(ctx)
	if err != nil {
		return nil, err
	}
	lat, err := env.oneAtATime(func(i int) error {
		q := memberQueries[i%len(memberQueries)]
		rows, _, err := env.DB.SearchMembers(ctx, q, db.Actor{Account: staff, Role: db.RoleWardStaff, IP: "127.0.0.1"})
		if err == nil && q.Name == "佐藤" && len(rows) == 0 {
			err = errors.New("member search for 佐藤 found nobody: is the database seeded?")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	st := Summarize(lat)
	env.Logf("member_search: %d searches over %d members, p50 %s, p99 %s, max %s", st.N, members, st.P50, st.P99, st.Max)
	return []Figure{
		Millis("member_search_p50", st.P50),
		Millis("member_search_p99", st.P99),
		{Name: "member_search_members", Value: float64(members), Unit: "members", Digits: 0},
	}, nil
}

// benchStaff returns the ward-staff account the benchmark searches as.
func benchStaff(ctx context.Context, d *db.DB) (*db.Account, error) {
	acc, err := d.AccountByLogin(ctx, "bench-ward")
	if err == nil {
		return acc, nil
	}
	if !errors.Is(err, db.ErrNotFound) {
		return nil, err
	}
	acc, err = d.CreateStaff(ctx, "bench-ward", "ベンチ職員", []string{db.RoleWardStaff}, "unusable")
	if err != nil {
		return nil, fmt.Errorf("bench staff: %w", err)
	}
	return acc, nil
}
