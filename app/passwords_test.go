package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// form: the change on /account, the first sign-in's change and a reset.
func TestWeakPasswordsAreRefusedWhereverSet(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	e.memberAccount("M3000006", "すみれ")
	m := e.client()
	m.signIn("M3000006", "member-password-1").wantStatus(t, http.StatusSeeOther)
	reasons := map[string]string{ // a password of the issue, and the reason the field gives
		"aaaaaaaaaa":          "繰り返し",
		"1234567890":          "よく使われているパスワード",
		"password12":          "よく使われているパスワード",
		"m3000006-no-himitsu": "ユーザーID・メールアドレス",
	}
	for pw, why := range reasons {
		res := m.changePassword("member-password-1", pw)
		res.wantStatus(t, http.StatusUnprocessableEntity)
		if msg := res.Doc.Find("#f-password-error").Text(); !strings.Contains(msg, why) {
			t.Errorf("change to %q: the field says %q, want %q", pw, msg, why)
		}
		if res.Doc.Find("#f-current").Length() != 1 {
			t.Errorf("change to %q: the form lost its current-password field", pw)
		}
	}
	m.post("/lang", url.Values{"lang": {"en"}, "_csrf": {m.token()}}).wantStatus(t, http.StatusSeeOther)
	res := m.changePassword("member-password-1", "password12")
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if msg := res.Doc.Find("#f-password-error").Text(); !strings.Contains(msg, "leaked passwords") {
		t.Errorf("in English the field says %q", msg)
	}
	// htmx gets the form back as a fragment, with the reason.
	tok := m.get("/account/password").csrfToken(t)
	frag := m.post("/account/password", url.Values{"current": {"member-password-1"}, "password": {"abcdefghij"},
		"confirm": {"abcdefghij"}, "_csrf": {tok}}, hx, "true")
	frag.wantStatus(t, http.StatusUnprocessableEntity)
	if strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Doc.Find("#f-password-error").Text(), "Sequences") {
		t.Errorf("htmx answer:\n%s", frag.Body)
	}

	// The first sign-in's change.
	fresh := e.client()
	first := e.memberAccount("M3000007", "あざみ")
	if _, err := e.db.Bun.NewUpdate().Model(first).Set("must_change_password = true").WherePK().Exec(ctx); err != nil {
		t.Fatal(err)
	}
	fresh.signIn("M3000007", "member-password-1").wantStatus(t, http.StatusSeeOther)
	tok = fresh.get("/account/password").csrfToken(t)
	res = fresh.post("/account/password", url.Values{"password": {"1234567890"}, "confirm": {"1234567890"}, "_csrf": {tok}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Doc.Find("#f-password-error").Text(), "よく使われているパスワード") {
		t.Errorf("first sign-in: the field says %q", res.Doc.Find("#f-password-error").Text())
	}

	// A reset.
	e.requestReset("M3000006", "m3000006@example.jp")
	links := resetLinks(t, e.deliverOutbox(), "m3000006@example.jp")
	if len(links) != 1 {
		t.Fatalf("mailed links %q", links)
	}
	form := e.get(links[0])
	res = e.post(links[0], url.Values{"password": {"aaaaaaaaaa"}, "confirm": {"aaaaaaaaaa"}, "_csrf": {form.csrfToken(t)}})
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(res.Doc.Find("#f-password-error").Text(), "繰り返し") {
		t.Errorf("reset: the field says %q", res.Doc.Find("#f-password-error").Text())
	}
	// The link is not spent by a refusal.
	e.post(links[0], url.Values{"password": {"sumire-saku-nohara-de"}, "confirm": {"sumire-saku-nohara-de"}, "_csrf": {form.csrfToken(t)}}).
		wantStatus(t, http.StatusSeeOther)
}
