package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/wardportal/portal/db"
)

// member is one generated member: account and profile.
type member struct {
	id      int64
	login   string
	handle  string
	status  string
	created time.Time
	updated time.Time

	name, kana, postal, town, address, phone, fax, email string
}

// memberGen generates members one at a time. Two generators made with the
// same arguments yield the same members, which lets members stream into
// accounts and then into member_profiles without holding them in memory.
type memberGen struct {
	r         *rand.Rand
	n, i      int
	firstID   int64
	loginBase int
	pendingAt int // members from this index on are pending (the newest ones)
	start     time.Time
	span      time.Duration
	now       time.Time
	nickCount []int
	taken     map[string]bool
}

func (s *seeder) newMemberGen(firstID int64, loginBase int) *memberGen {
	n := s.o.Members
	pending := n / 500
	if pending == 0 && n >= 20 {
		pending = 1
	}
	span := 3 * 365 * 24 * time.Hour
	return &memberGen{
		r:         newRand(s.o.Seed, streamMembers),
		n:         n,
		firstID:   firstID,
		loginBase: loginBase,
		pendingAt: n - pending,
		start:     s.now.Add(-span),
		span:      span,
		now:       s.now,
		nickCount: make([]int, len(nicknames)),
		taken:     s.taken,
	}
}

// nickNumber numbers the c-th handle with nickname k: two digits for the
// first 90, then three, four and more, scrambled so neighbours differ. The
// ranges do not overlap, so (k, c) -> number is one-to-one for each k.
func nickNumber(k, c int) int {
	switch {
	case c < 90:
		return 10 + (c*37+k*11)%90
	case c < 990:
		return 100 + ((c-90)*379+k*7)%900
	case c < 9990:
		return 1000 + ((c-990)*7919+k*613)%9000
	default:
		return 10000 + c
	}
}

func (g *memberGen) next() (member, bool) {
	if g.i >= g.n {
		return member{}, false
	}
	r := g.r
	i := g.i
	g.i++
	loginNo := g.loginBase + i + 1
	m := member{id: g.firstID + int64(i), login: fmt.Sprintf("M%07d", loginNo)}

	// Members joined evenly over three years; ids follow joining order.
	m.created = g.start.Add(time.Duration((float64(i) + r.Float64()) / float64(g.n) * float64(g.span))).Truncate(time.Second)
	if m.created.After(g.now) {
		m.created = g.now
	}
	m.updated = m.created
	switch x := r.Float64(); {
	case i >= g.pendingAt:
		m.status = "pending"
	case x < 0.015:
		m.status = "withdrawn"
		m.updated = m.created.Add(time.Duration(r.Float64() * float64(g.now.Sub(m.created)))).Truncate(time.Second)
	default:
		m.status = "active"
	}

	k := r.IntN(len(nicknames))
	m.handle = nicknames[k] + strconv.Itoa(nickNumber(k, g.nickCount[k]))
	g.nickCount[k]++
	for g.taken != nil && g.taken[m.handle] {
		m.handle += "_" + strconv.Itoa(loginNo)
	}

	sur, giv := pick(r, surnames), pick(r, givenNames)
	m.name = sur.Kanji + " " + giv.Kanji
	m.kana = sur.Kana + " " + giv.Kana
	t := pickTown(r)
	m.town, m.postal = t.Name, t.Postal
	m.address = streetAddress(r, t, true)
	if r.IntN(10) < 6 {
		m.phone = mobile(r)
	} else {
		m.phone = landline(r, pick(r, []int{3, 5, 5}))
	}
	if r.IntN(100) < 7 {
		m.fax = landline(r, 3)
	}
	switch r.IntN(4) {
	case 0:
		m.email = fmt.Sprintf("%s.%s.%d@example.jp", giv.Romaji, sur.Romaji, loginNo)
	case 1:
		m.email = fmt.Sprintf("%s%d@example.com", giv.Romaji, loginNo)
	case 2:
		m.email = fmt.Sprintf("user%d@example.jp", loginNo)
	default:
		m.email = fmt.Sprintf("%s_%s%d@example.com", sur.Romaji, giv.Romaji[:1], loginNo)
	}
	return m, true
}

// members copies member accounts, then their profiles (all but withdrawn).
func (s *seeder) members(ctx context.Context) error {
	if s.o.Members == 0 {
		return nil
	}
	loginBase, err := s.maxLoginNumber(ctx, 'M', 7)
	if err != nil {
		return err
	}
	if loginBase+s.o.Members > 9_999_999 {
		return fmt.Errorf("login ids M%07d.. would overflow seven digits", loginBase+1)
	}
	first, err := s.reserveIDs(ctx, "accounts", s.o.Members)
	if err != nil {
		return err
	}

	start := time.Now()
	g := s.newMemberGen(first, loginBase)
	s.activeMembers = make([]int64, 0, s.o.Members)
	n, err := s.copyRows(ctx, "accounts",
		[]string{"id", "kind", "login_id", "password_hash", "must_change_password", "status", "display_name", "created_at", "updated_at"},
		func() []any {
			m, ok := g.next()
			if !ok {
				return nil
			}
			switch m.status {
			case "active":
				s.activeMembers = append(s.activeMembers, m.id)
			case "withdrawn":
				s.withdrawn = append(s.withdrawn, m.id)
			}
			return []any{m.id, db.KindMember, m.login, s.o.PasswordHash, false, m.status, m.handle, m.created, m.updated}
		})
	if err != nil {
		return err
	}
	s.c.Members = n
	s.done("accounts (members)", n, start)

	start = time.Now()
	g = s.newMemberGen(first, loginBase)
	n, err = s.copyRows(ctx, "member_profiles",
		[]string{"account_id", "name", "name_kana", "postal_code", "town", "address", "phone", "fax", "email", "terms_version", "created_at"},
		func() []any {
			for {
				m, ok := g.next()
				if !ok {
					return nil
				}
				if m.status == "withdrawn" {
					continue
				}
				return []any{m.id, m.name, m.kana, m.postal, m.town, m.address, m.phone, m.fax, m.email, termsVersion, m.created}
			}
		})
	if err != nil {
		return err
	}
	s.c.MemberProfiles = n
	s.done("member_profiles", n, start)

	// About three in ten subscribe to the first newsletter list (made here
	// in a database that has none), decided
	// from the id so that the random stream (and every other generated
	// value) is unchanged.
	start = time.Now()
	last := first + int64(s.o.Members) - 1
	if _, err := s.tx.Exec(ctx, `INSERT INTO newsletter_lists (name, description)
		SELECT '区からのお知らせ', '区政・地域活動の最新情報をお届けします。'
		WHERE NOT EXISTS (SELECT 1 FROM newsletter_lists)`); err != nil {
		return fmt.Errorf("newsletter list: %w", err)
	}
	if _, err := s.tx.Exec(ctx, `INSERT INTO newsletter_subscribers (account_id)
		SELECT account_id FROM member_profiles
		WHERE account_id BETWEEN $1 AND $2 AND account_id * 2654435761 % 1000 < 300 ORDER BY account_id`, first, last); err != nil {
		return fmt.Errorf("newsletter subscribers: %w", err)
	}
	tag, err := s.tx.Exec(ctx, `INSERT INTO newsletter_subscriptions (subscriber_id, list_id, status, requested_at, confirmed_at)
		SELECT ns.id, (SELECT min(id) FROM newsletter_lists), 'confirmed', since, since
		FROM newsletter_subscribers ns
		JOIN member_profiles p ON p.account_id = ns.account_id,
		LATERAL (SELECT p.created_at + (p.account_id * 2654435761 % 1000) * interval '1 hour' AS since) x
		WHERE ns.account_id BETWEEN $1 AND $2`, first, last)
	if err != nil {
		return fmt.Errorf("newsletter subscriptions: %w", err)
	}
	s.done("newsletter_subscriptions", int(tag.RowsAffected()), start)
	return nil
}
