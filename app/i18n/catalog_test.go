package i18n

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameIDs(t *testing.T) {
	t.Parallel()
	ja, err := IDs("ja")
	if err != nil {
		t.Fatal(err)
	}
	en, err := IDs("en")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(ja)
	sort.Strings(en)
	if strings.Join(ja, "\n") != strings.Join(en, "\n") {
		t.Errorf("ja and en catalogues differ:\nonly ja: %v\nonly en: %v", minus(ja, en), minus(en, ja))
	}
}

func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if !in[x] {
			out = append(out, x)
		}
	}
	return out
}

// literalID matches message ids passed as string literals to the lookup
// helpers in components and handlers: T(ctx, "…"), Tf(ctx, "…"), a.t(c, "…"),
// a.flash(c, kind, "…"), and keys in navigation tables.
var literalID = regexp.MustCompile(`(?:\bTf?\(ctx, |\.t\(c, |\.flash\(c, "\w+", |\{"/[a-z/]*", )"([a-z0-9_.]+)"\s*[^+\s]`)

// TestEveryUsedIDExists scans the source for message ids and checks both
// catalogues have them, so a typo is a failing test, not a raw id on a page.
func TestEveryUsedIDExists(t *testing.T) {
	t.Parallel()
	c := MustLoad()
	root := filepath.Join("..", "..")
	var files []string
	for _, dir := range []string{"components", "app"} {
		_ = filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".templ") || (strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_templ.go"))) {
				files = append(files, p)
			}
			return nil
		})
	}
	found := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literalID.FindAllStringSubmatch(string(b), -1) {
			found++
			for _, lang := range Languages {
				if !c.Has(lang, m[1]) {
					t.Errorf("%s: message %q missing from %s", f, m[1], lang)
				}
			}
		}
	}
	if found < 50 {
		t.Errorf("found only %d message ids in the source; is the pattern still right?", found)
	}
	// Ids built at run time from a fixed set of suffixes.
	dynamic := []string{"events.organiser_group", "events.organiser_ward", "events.organiser_operator",
		"articles.kind_article", "articles.kind_column", "side.operator", "side.ward",
		"decision.confirm", "decision.reject", "decision.waiting"}
	for _, s := range []string{"pending", "active", "rejected", "withdrawn", "suspended"} {
		dynamic = append(dynamic, "status."+s)
	}
	for _, a := range []string{"register", "login", "logout", "password_change", "password_reset", "password_reset_request",
		"profile_update", "withdraw", "registration_confirm", "registration_reject", "group_create",
		"post_submit", "post_edit", "post_withdraw", "post_report", "moderation_decision", "event_signup", "event_signup_cancel", "calendar_feed_create", "calendar_feed_revoke", "event_create", "event_edit", "data_download", "role_change"} {
		dynamic = append(dynamic, "history."+a)
	}
	for _, s := range []string{"pending", "published", "rejected", "withdrawn"} {
		dynamic = append(dynamic, "board.status."+s)
	}
	for _, r := range []string{"privacy", "defamation", "political_religious", "public_order", "copyright", "unlawful", "other"} {
		dynamic = append(dynamic, "moderation.reason."+r)
	}
	for _, f := range []string{"phone", "email", "address", "word", "link"} {
		dynamic = append(dynamic, "moderation.flag."+f)
	}
	for _, st := range []string{"approved", "rejected", "escalated"} {
		dynamic = append(dynamic, "moderation.done."+st, "moderation.handled."+st)
	}
	dynamic = append(dynamic, "moderation.handled.withdrawn", "moderation.handled.open",
		"moderation.origin.board_post.submission", "moderation.origin.board_post.report", "moderation.origin.event.submission",
		"kind.member", "kind.group", "kind.staff")
	for _, r := range []string{"confirmed", "waitlisted", "full", "already", "cancelled", "not_yet", "ended", "started", "not_published"} {
		dynamic = append(dynamic, "signup.result."+r)
	}
	for _, r := range []string{"cancelled", "not_published", "not_yet", "ended", "started"} {
		dynamic = append(dynamic, "signup.closed."+r)
	}
	for _, st := range []string{"confirmed", "waitlisted"} {
		dynamic = append(dynamic, "signup.status."+st, "signup.badge."+st)
	}
	for _, st := range []string{"draft", "review", "published", "closed", "cancelled"} {
		dynamic = append(dynamic, "events.status."+st)
	}
	for _, f := range []string{"title", "description", "category", "town", "venue"} {
		dynamic = append(dynamic, "form.err.required_"+f)
	}
	for _, a := range []string{"view", "edit", "export", "confirm", "reject", "sign_in", "role_change", "disaster_mode"} {
		dynamic = append(dynamic, "audit.action."+a)
	}
	for _, r := range []string{"moderator", "ward_staff", "editor", "approver", "site_manager", "system_admin"} {
		dynamic = append(dynamic, "role."+r)
	}
	for _, w := range []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"} {
		dynamic = append(dynamic, "week."+w)
	}
	for _, a := range []string{"closed", "cancelled", "capacity"} {
		dynamic = append(dynamic, "participants.done_"+a)
	}
	for _, k := range []string{"registered", "confirmed", "rejected", "reset", "post_published", "post_rejected",
		"signup_confirmed", "signup_waitlisted", "signup_promoted", "signup_cancelled", "signup_event_cancelled", "signup_reminder"} {
		dynamic = append(dynamic, "mail."+k+".subject", "mail."+k+".body")
	}
	for _, s := range []string{"400", "403", "404", "405", "409", "413", "422", "429", "500", "503"} {
		dynamic = append(dynamic, "error."+s+".title", "error."+s+".body")
	}
	for _, k := range []string{"login_id", "handle", "name", "name_kana", "postal_code", "town", "address", "phone", "fax",
		"email", "status", "registered_at", "newsletter"} {
		dynamic = append(dynamic, "export.col."+k)
	}
	for _, f := range []string{"csv_cp932", "csv_utf8", "xlsx"} {
		dynamic = append(dynamic, "export.format."+f)
	}
	for _, x := range []string{"yes", "no"} {
		dynamic = append(dynamic, "export.newsletter."+x, "export.joined."+x)
	}
	// Sign-in limits and the mails that tell owners about them.
	dynamic = append(dynamic, "history.signin_unlock", "history.register_attempt", "audit.action.signin_unlock",
		"mail.signin_attack.subject", "mail.signin_attack.body", "mail.register_attempt.subject", "mail.register_attempt.body")
	for _, k := range []string{"notice", "subsidy", "article", "facility", "page"} {
		dynamic = append(dynamic, "page_kind."+k)
	}
	// Sub-sites: statuses, page kinds, and the messages named by a field.
	for _, s := range []string{"applied", "active", "refused", "closed"} {
		dynamic = append(dynamic, "sites.status."+s)
	}
	for _, k := range []string{"notice", "subsidy", "article", "facility", "page"} {
		dynamic = append(dynamic, "subsite.kind."+k)
	}
	dynamic = append(dynamic, "sites.last_manager", "form.err.slug_taken_site", "form.err.host_taken_site",
		"audit.action.division_change", "audit.action.site_change",
		"mail.site_approved.subject", "mail.site_approved.body", "mail.site_refused.subject", "mail.site_refused.body")
	// Account administration: status changes, history and audit actions, work waiting.
	for _, a := range []string{"account_suspend", "account_reinstate", "password_issue", "profile_correct", "staff_create"} {
		dynamic = append(dynamic, "history."+a)
	}
	for _, a := range []string{"account_suspend", "account_reinstate", "password_issue", "staff_create"} {
		dynamic = append(dynamic, "audit.action."+a)
	}
	for _, ch := range []string{"suspend", "reinstate"} {
		dynamic = append(dynamic, "account_admin."+ch, "account_admin.reason_"+ch, "account_admin.done_"+ch)
	}
	for _, w := range []string{"registrations", "queue", "escalations", "inquiries", "approvals"} {
		dynamic = append(dynamic, "work."+w)
	}
	// The newsletter: issue and delivery statuses, flashes named by an action.
	for _, st := range []string{"draft", "awaiting_approval", "scheduled", "sending", "sent"} {
		dynamic = append(dynamic, "newsletter.status."+st)
	}
	for _, st := range []string{"queued", "sending", "committing", "sent", "deferred", "failed", "unknown"} {
		dynamic = append(dynamic, "newsletter.delivery."+st)
	}
	dynamic = append(dynamic, "newsletter.account_subscribed", "newsletter.account_unsubscribed",
		"newsletter.now_scheduled", "newsletter.now_awaiting_approval",
		"mail.newsletter_confirm.subject", "mail.newsletter_confirm.body")
	for _, id := range dynamic {
		for _, lang := range Languages {
			if !c.Has(lang, id) {
				t.Errorf("message %q missing from %s", id, lang)
			}
		}
	}
}

func TestPluralAndPlaceholders(t *testing.T) {
	t.Parallel()
	c := MustLoad()
	// Twice: the second time the counted messages come from memory.
	for range 2 {
		if got := c.T("ja", "events.seats_left", map[string]any{"Count": 3}); got != "残り3席" {
			t.Errorf("ja = %q", got)
		}
		if got := c.T("en", "events.seats_left", map[string]any{"Count": 1}); got != "1 seat left" {
			t.Errorf("en one = %q", got)
		}
		if got := c.T("en", "events.seats_left", map[string]any{"Count": 2}); got != "2 seats left" {
			t.Errorf("en other = %q", got)
		}
		if got := c.T("en", "events.seats_left", map[string]any{"Count": 5000}); got != "5000 seats left" {
			t.Errorf("en large = %q", got)
		}
	}
	if got := c.T("fr", "nav.home"); got != "ホーム" {
		t.Errorf("unknown language falls back to %q", got)
	}
	if got := c.T("ja", "no.such.id"); got != "no.such.id" {
		t.Errorf("missing id gives %q", got)
	}
}
