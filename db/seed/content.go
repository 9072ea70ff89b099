package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wardportal/portal/db"
)

type facilityRow struct {
	ID                   int64
	Name, Category, Town string
}

type groupRow struct {
	ID, AccountID int64
	Name          string
	Category      string
	Town          string
	Published     bool
}

// boardCategories creates the board's fixed categories unless they exist.
func (s *seeder) boardCategories(ctx context.Context) error {
	start := time.Now()
	created := 0
	for i, c := range boardCategories {
		tag, err := s.tx.Exec(ctx, `INSERT INTO board_categories (slug, name_ja, name_en, sort_order)
			VALUES ($1, $2, $3, $4) ON CONFLICT (slug) DO NOTHING`, c.Slug, c.NameJa, c.NameEn, i+1)
		if err != nil {
			return err
		}
		created += int(tag.RowsAffected())
	}
	s.categoryIDs = make([]int64, len(boardCategories))
	for i, c := range boardCategories {
		if err := s.tx.QueryRow(ctx, `SELECT id FROM board_categories WHERE slug = $1`, c.Slug).Scan(&s.categoryIDs[i]); err != nil {
			return err
		}
	}
	s.c.BoardCategories = created
	s.done("board_categories", created, start)
	return nil
}

// facilities creates the fixed facility list when the table is empty and
// loads whatever facilities there are for event venues.
func (s *seeder) facilities(ctx context.Context) error {
	start := time.Now()
	var have bool
	if err := s.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM facilities)`).Scan(&have); err != nil {
		return err
	}
	if !have {
		r := newRand(s.o.Seed, streamFacilities)
		first, err := s.reserveIDs(ctx, "facilities", len(facilityDefs))
		if err != nil {
			return err
		}
		order := map[string]int{}
		i := 0
		n, err := s.copyRows(ctx, "facilities", []string{"id", "name", "category", "town", "address", "phone", "url", "sort_order"},
			func() []any {
				if i == len(facilityDefs) {
					return nil
				}
				f := facilityDefs[i]
				id := first + int64(i)
				i++
				order[f.Category]++
				row := db.Facility{ID: id, Name: f.Name, Category: f.Category, Town: f.Town,
					Address: streetAddress(r, townByName(f.Town), false), Phone: landline(r, 3),
					URL: fmt.Sprintf("https://www.example.jp/facilities/%d", id), SortOrder: order[f.Category] * 10}
				s.newFacilities = append(s.newFacilities, row)
				return []any{row.ID, row.Name, row.Category, row.Town, row.Address, row.Phone, row.URL, row.SortOrder}
			})
		if err != nil {
			return err
		}
		s.c.Facilities = n
	}
	rows, err := s.tx.Query(ctx, `SELECT id, name, category, town FROM facilities ORDER BY id`)
	if err != nil {
		return err
	}
	s.facilityRows, err = pgx.CollectRows(rows, pgx.RowToStructByPos[facilityRow])
	if err != nil {
		return err
	}
	s.done("facilities", s.c.Facilities, start)
	return nil
}

// groupName draws a unique name such as 西新宿子ども食堂の会.
func groupName(r *rand.Rand, used map[string]bool) (string, town, activity) {
	var (
		name string
		t    town
		a    activity
	)
	for attempt := 0; attempt < 40; attempt++ {
		t, a = pickTown(r), pick(r, activities)
		name = t.Name + a.Name + pick(r, a.Suffixes)
		if a.Name == "町内" && t.Chome > 0 && r.IntN(2) == 0 {
			name = t.Name + kanjiDigits[1+r.IntN(t.Chome)] + "丁目町会"
		}
		if !used[name] {
			return name, t, a
		}
	}
	base := name
	for k := 2; used[name]; k++ {
		name = fmt.Sprintf("%s第%d支部", base, k)
	}
	return name, t, a
}

var schedules = []string{"10:00〜12:00", "13:30〜15:30", "18:30〜20:30", "9:00〜11:00", "14:00〜16:00"}

// groups creates group accounts and their public profiles.
func (s *seeder) groups(ctx context.Context) error {
	G := s.o.Groups
	if G == 0 {
		return nil
	}
	start := time.Now()
	loginBase, err := s.maxLoginNumber(ctx, 'G', 5)
	if err != nil {
		return err
	}
	if loginBase+G > 99_999 {
		return fmt.Errorf("login ids G%05d.. would overflow five digits", loginBase+1)
	}
	firstAccount, err := s.reserveIDs(ctx, "accounts", G)
	if err != nil {
		return err
	}
	firstGroup, err := s.reserveIDs(ctx, "groups", G)
	if err != nil {
		return err
	}
	r := newRand(s.o.Seed, streamGroups)
	used := map[string]bool{}
	for k := range s.taken {
		used[k] = true
	}
	type full struct {
		groupRow
		login, summary, description, activity string
		created, updated                      time.Time
		profile                               db.ProfileContent
	}
	gs := make([]full, G)
	for i := range gs {
		name, t, a := groupName(r, used)
		used[name] = true
		g := full{groupRow: groupRow{
			ID: firstGroup + int64(i), AccountID: firstAccount + int64(i),
			Name: name, Category: a.Category, Town: t.Name, Published: r.IntN(100) < 95,
		}}
		g.login = fmt.Sprintf("G%05d", loginBase+i+1)
		g.created = s.now.Add(-time.Duration(r.Int64N(int64(3 * 365 * 24 * time.Hour)))).Truncate(time.Second)
		g.updated = g.created.Add(time.Duration(r.Float64() * float64(s.now.Sub(g.created)))).Truncate(time.Second)

		venue := t.Name + "町会会館"
		if len(s.facilityRows) > 0 {
			venue = pick(r, s.facilityRows).Name
			for _, f := range s.facilityRows {
				if f.Town == t.Name && r.IntN(2) == 0 {
					venue = f.Name
				}
			}
		}
		var sched string
		day := r.IntN(7)
		if r.IntN(3) == 0 {
			sched = fmt.Sprintf("毎週%s曜日 %s", weekdays[day], pick(r, schedules))
		} else {
			sched = fmt.Sprintf("毎月第%d%s曜日 %s", 1+r.IntN(4), weekdays[day], pick(r, schedules))
		}
		g.activity = fmt.Sprintf("%s（%sほか）", sched, venue)
		switch r.IntN(3) {
		case 0:
			g.summary = fmt.Sprintf("%sを拠点に、%s活動をしています。", t.Name, a.What)
		case 1:
			g.summary = fmt.Sprintf("%sことを目的に、%sで活動している団体です。", a.What, t.Name)
		default:
			g.summary = fmt.Sprintf("%s周辺で、%s活動に取り組んでいます。どなたでも参加できます。", t.Name, a.What)
		}
		paras := []string{
			fmt.Sprintf("私たちは%d年に発足した、%sの%s分野の市民団体です。%sことを目的に活動しています。",
				s.now.In(jst).Year()-1-r.IntN(30), t.Name, a.Category, a.What),
			fmt.Sprintf("活動日は%sで、主に%sを使っています。会員は%d名ほどで、10代から80代まで幅広い世代が参加しています。",
				sched, venue, 5+r.IntN(60)),
			pick(r, []string{
				"初めての方も大歓迎です。見学をご希望の方は、掲示板またはイベントページからお気軽にお問い合わせください。",
				"活動には区の地域活動助成金を活用しています。夏祭りや防災訓練など、地域の行事にも協力しています。",
				"地域の清掃や子ども食堂への協力など、ほかの団体とも連携しながら活動の輪を広げています。",
				"年に一度、活動の成果を発表する交流会を開いています。一緒に活動する仲間を募集中です。",
			}),
		}
		g.description = strings.Join(paras, "\n\n")
		g.profile = groupProfile(r, g.login, a, t, day, venue)
		g.profile.Summary, g.profile.Description, g.profile.Activity = g.summary, g.description, g.activity
		gs[i] = g
	}

	i := 0
	n, err := s.copyRows(ctx, "accounts",
		[]string{"id", "kind", "login_id", "password_hash", "must_change_password", "status", "display_name", "created_at", "updated_at"},
		func() []any {
			if i == G {
				return nil
			}
			g := gs[i]
			i++
			status := "active"
			if !g.Published {
				status = "pending"
			}
			return []any{g.AccountID, db.KindGroup, g.login, s.o.PasswordHash, false, status, g.Name, g.created, g.updated}
		})
	if err != nil {
		return err
	}
	i = 0
	n2, err := s.copyRows(ctx, "groups",
		[]string{"id", "account_id", "name", "category", "town", "summary", "description", "activity", "published", "created_at", "updated_at",
			"fields", "areas", "days", "places", "how_to_join", "fees", "contact", "links", "search_grams", "published_at"},
		func() []any {
			if i == G {
				return nil
			}
			g := gs[i]
			i++
			p := g.profile
			if !g.Published { // never approved: the profile the group wrote waits, nothing is live
				return []any{g.ID, g.AccountID, g.Name, g.Category, g.Town, "", "", "", false, g.created, g.updated,
					[]string{}, []string{}, []string{}, "", "", "", "", []string{}, []int32{}, nil}
			}
			return []any{g.ID, g.AccountID, g.Name, g.Category, g.Town, p.Summary, p.Description, p.Activity, true, g.created, g.updated,
				p.Fields, p.Areas, p.Days, p.Places, p.HowToJoin, p.Fees, p.Contact, p.Links, db.GroupSearchGrams(g.Name, p), g.updated}
		})
	if err != nil {
		return err
	}
	if n != n2 {
		return fmt.Errorf("copied %d group accounts but %d groups", n, n2)
	}
	// Each group's latest revision: approved (and live) for a public group,
	// waiting for review for one whose account the ward has not activated.
	i = 0
	if _, err := s.copyRows(ctx, "group_profiles",
		[]string{"group_id", "summary", "description", "activity", "fields", "areas", "days", "places", "how_to_join", "fees",
			"contact", "links", "status", "submitted_by", "created_at", "updated_at"},
		func() []any {
			if i == G {
				return nil
			}
			g := gs[i]
			i++
			p, status := g.profile, db.ProfileApproved
			if !g.Published {
				status = db.ProfileReview
			}
			return []any{g.ID, p.Summary, p.Description, p.Activity, p.Fields, p.Areas, p.Days, p.Places, p.HowToJoin, p.Fees,
				p.Contact, p.Links, status, g.AccountID, g.created, g.updated}
		}); err != nil {
		return err
	}
	if _, err := s.tx.Exec(ctx, `UPDATE groups AS g SET profile_id = p.id FROM group_profiles AS p
		WHERE p.group_id = g.id AND p.status = $1 AND g.id BETWEEN $2 AND $3`, db.ProfileApproved, firstGroup, firstGroup+int64(G)-1); err != nil {
		return err
	}
	for _, g := range gs {
		s.groupRows = append(s.groupRows, g.groupRow)
		if g.Published {
			s.groupAuthors = append(s.groupAuthors, g.AccountID)
		}
	}
	s.c.Groups = n
	s.done("groups (+accounts)", n, start)
	return nil
}

var eventSlots = [][2]int{{10, 0}, {13, 30}, {18, 0}}

// events creates events from Now-30 days to Now+180 days.
func (s *seeder) events(ctx context.Context) error {
	E := s.o.Events
	if E == 0 {
		return nil
	}
	start := time.Now()
	r := newRand(s.o.Seed, streamEvents)
	var published []groupRow
	for _, g := range s.groupRows {
		if g.Published {
			published = append(published, g)
		}
	}
	i := 0
	n, err := s.copyRows(ctx, "events",
		[]string{"organiser_kind", "group_id", "title", "description", "category", "town", "venue", "facility_id",
			"starts_at", "ends_at", "capacity", "waitlist_size", "apply_from", "apply_until", "fee", "contact",
			"status", "confirmed", "waitlisted", "created_at", "updated_at"},
		func() []any {
			if i == E {
				return nil
			}
			i++
			return s.event(r, published)
		})
	if err != nil {
		return err
	}
	s.c.Events = n
	s.done("events", n, start)
	return nil
}

func (s *seeder) event(r *rand.Rand, groups []groupRow) []any {
	kind := db.OrganiserOperator
	switch x := r.IntN(100); {
	case x < 60 && len(groups) > 0:
		kind = db.OrganiserGroup
	case x < 85:
		kind = db.OrganiserWard
	}
	var (
		groupID    any
		g          groupRow
		category   string
		townName   string
		venue      string
		facilityID any
	)
	if kind == db.OrganiserGroup {
		g = pick(r, groups)
		groupID, category, townName = g.ID, g.Category, g.Town
	} else {
		category, townName = pick(r, categories), pickTown(r).Name
	}
	if len(s.facilityRows) > 0 && r.IntN(10) < 7 {
		f := pick(r, s.facilityRows)
		venue = f.Name
		if rooms := facilityRooms[f.Category]; len(rooms) > 0 {
			venue += " " + pick(r, rooms)
		}
		facilityID, townName = f.ID, f.Town
	} else {
		venue = fill(pick(r, otherVenues), townName)
	}
	title := fill(pick(r, eventTitles[category]), townName)

	day := -30 + r.IntN(211)
	slot := pick(r, eventSlots)
	startsAt := atJST(s.now, day, slot[0], slot[1])
	endsAt := startsAt.Add(time.Duration(60+30*r.IntN(5)) * time.Minute)

	var capacity, applyFrom, applyUntil any
	capN, waitlist := 0, 0
	if r.IntN(10) >= 2 {
		capN = 10 + 5*r.IntN(19)
		waitlist = r.IntN(21)
		capacity = capN
		applyFrom = atJST(startsAt, -(14 + r.IntN(31)), 9, 0)
		applyUntil = atJST(startsAt, -1, 17, 0)
	}

	past := startsAt.Before(s.now)
	x := r.IntN(100)
	var status string
	switch {
	case past && x < 70:
		status = db.EventPublished
	case past && x < 95:
		status = db.EventClosed
	case past:
		status = db.EventCancelled
	case kind == db.OrganiserGroup && x < 85, kind != db.OrganiserGroup && x < 95:
		status = db.EventPublished
	case kind != db.OrganiserGroup || x < 90:
		status = db.EventCancelled
	case x < 95:
		status = db.EventReview
	default:
		status = db.EventDraft
	}
	confirmed, waitlisted := 0, 0
	if capN > 0 && status != db.EventDraft && status != db.EventReview {
		if past || r.IntN(4) == 0 {
			confirmed = capN
			waitlisted = r.IntN(waitlist + 1)
		} else {
			soon := 1 - float64(min(day, 180))/240
			confirmed = int(float64(capN) * soon * r.Float64())
		}
	}

	created := startsAt.AddDate(0, 0, -(45 + r.IntN(45))).Add(-time.Duration(r.IntN(36000)) * time.Second)
	if created.After(s.now) {
		created = s.now.Add(-time.Duration(1+r.IntN(72)) * time.Hour)
	}
	updated := created
	if status == "cancelled" || status == "closed" {
		updated = created.Add(time.Duration(r.Float64() * float64(s.now.Sub(created))))
	}

	var contact string
	switch kind {
	case db.OrganiserGroup:
		contact = g.Name + " 事務局（団体ページからお問い合わせください）"
	case db.OrganiserWard:
		contact = fmt.Sprintf("区役所 %s（内線%d）", categoryDepartment[category], 2000+r.IntN(6000))
	default:
		contact = "ポータル運営事務局（info@example.jp）"
	}

	intro := eventIntro[category]
	a := r.IntN(len(intro))
	b := (a + 1 + r.IntN(len(intro)-1)) % len(intro)
	paras := []string{
		intro[a] + intro[b],
		"会場は" + venue + "です。" + pick(r, eventNotes),
	}
	if capN > 0 {
		paras = append(paras, fmt.Sprintf("定員%d名（先着順）。%sまでにお申し込みください。", capN, jpDate(applyUntil.(time.Time))))
	} else {
		paras = append(paras, "申込は不要です。当日は直接会場へお越しください。")
	}

	return []any{kind, groupID, title, strings.Join(paras, "\n\n"), category, townName, venue, facilityID,
		startsAt, endsAt, capacity, waitlist, applyFrom, applyUntil, pick(r, fees), contact,
		status, confirmed, waitlisted, created.Truncate(time.Second), updated.Truncate(time.Second)}
}

// fieldOfCategory maps the seed's activity categories to the ward's fields.
var fieldOfCategory = map[string]string{"まちづくり": "community", "スポーツ": "sports", "国際交流": "international",
	"子育て": "children", "文化・芸術": "culture", "環境": "environment", "福祉": "welfare", "防災": "safety", "高齢者支援": "welfare"}

// areaOfTown maps the seed's towns to the ward's branch-office areas.
var areaOfTown = map[string]string{
	"四谷": "yotsuya", "信濃町": "yotsuya", "大京町": "yotsuya", "左門町": "yotsuya", "荒木町": "yotsuya", "住吉町": "yotsuya",
	"市谷田町": "tansumachi", "市谷加賀町": "tansumachi", "神楽坂": "tansumachi",
	"早稲田町": "enokicho", "弁天町": "enokicho", "原町": "enokicho",
	"若松町": "wakamatsucho", "河田町": "wakamatsucho", "余丁町": "wakamatsucho", "富久町": "wakamatsucho",
	"大久保": "okubo", "百人町": "okubo", "高田馬場": "totsuka", "戸山": "totsuka", "西早稲田": "totsuka",
	"下落合": "ochiai1", "中落合": "ochiai1", "中井": "ochiai1", "上落合": "ochiai2", "西落合": "ochiai2",
	"北新宿": "kashiwagi", "西新宿": "tsunohazu", "新宿": "tsunohazu", "歌舞伎町": "tsunohazu",
}

// daySlugs are db.GroupDays in the order of weekdays (Sunday first).
var daySlugs = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// groupProfile draws the structured part of a group's profile: fields,
// areas, days, places, how to join, fees, the group's own contact and a link.
func groupProfile(r *rand.Rand, login string, a activity, t town, day int, venue string) db.ProfileContent {
	p := db.ProfileContent{Fields: []string{fieldOfCategory[a.Category]}, Areas: []string{areaOfTown[t.Name]},
		Days: []string{daySlugs[day]}, Places: venue, Links: []string{}}
	if p.Fields[0] == "" {
		p.Fields[0] = "other"
	}
	if p.Areas[0] == "" {
		p.Areas[0] = "all"
	}
	if r.IntN(4) == 0 {
		if extra := pick(r, db.GroupFields); extra != p.Fields[0] {
			p.Fields = append(p.Fields, extra)
		}
	}
	if r.IntN(5) == 0 {
		p.Areas = append(p.Areas, "all")
	}
	if r.IntN(3) == 0 {
		if extra := daySlugs[r.IntN(7)]; extra != p.Days[0] {
			p.Days = append(p.Days, extra)
		}
	}
	p.HowToJoin = pick(r, []string{
		"見学は随時受け付けています。団体のページのお問い合わせフォームからご連絡ください。",
		"活動日に直接会場へお越しください。動きやすい服装でどうぞ。",
		"入会を希望される方は、まず一度体験参加してください。",
	})
	p.Fees = pick(r, []string{"無料", "年会費1,000円", "月会費500円", "1回300円（材料費）", "年会費2,000円（保険料を含む）"})
	slug := strings.ToLower(login)
	if r.IntN(2) == 0 {
		p.Contact = slug + "@groups.example.jp"
	}
	if r.IntN(3) == 0 {
		p.Links = []string{"https://" + slug + ".groups.example.jp/"}
	}
	return p
}
