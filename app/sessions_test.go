package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// changePassword changes the signed-in account's password from /account/password.
func (e *testEnv) changePassword(current, next string) *response {
	e.t.Helper()
	tok := e.get("/account/password").csrfToken(e.t)
	return e.post("/account/password", url.Values{"current": {current}, "password": {next}, "confirm": {next}, "_csrf": {tok}})
}

// signedIn reports whether the client's session still belongs to an account.
func (e *testEnv) signedIn() bool {
	e.t.Helper()
	res := e.get("/account")
	switch res.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusSeeOther:
		if !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			e.t.Fatalf("/account redirects to %s", res.Header.Get("Location"))
		}
		return false
	}
	e.t.Fatalf("/account: status %d", res.StatusCode)
	return false
}

// Changing the password ends every other session of the account — another
// browser, a phone — while the one that changed it carries on under a new
// session id; the others are told why at their next page.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.memberAccount("M3000003", "かえで")
	pc, phone, other := e.client(), e.client(), e.client()
	for _, c := range []*testEnv{pc, phone} {
		c.signIn("M3000003", "member-password-1").wantStatus(t, http.StatusSeeOther)
	}
	e.memberAccount("M3000004", "いちょう")
	other.signIn("M3000004", "member-password-1").wantStatus(t, http.StatusSeeOther)
	if !pc.signedIn() || !phone.signedIn() {
		t.Fatal("not signed in to begin with")
	}

	before := pc.sessionCookie()
	pc.changePassword("member-password-1", "kaede-no-ha-ga-akai").wantStatus(t, http.StatusSeeOther)
	if !pc.signedIn() {
		t.Fatal("the session that changed the password was ended")
	}
	if after := pc.sessionCookie(); after == "" || after == before {
		t.Errorf("session id not renewed at the password change")
	}
	if phone.signedIn() {
		t.Fatal("another session of the account survived the password change")
	}
	if msg := phone.get("/login").Doc.Find(".flash").Text(); !strings.Contains(msg, "パスワードが変更されたため") {
		t.Errorf("the ended session is told %q", msg)
	}
	if !other.signedIn() {
		t.Error("another account's session was ended")
	}
	// Signing in again with the new password works; the old one does not.
	phone.signIn("M3000003", "member-password-1").wantStatus(t, http.StatusUnprocessableEntity)
	phone.signIn("M3000003", "kaede-no-ha-ga-akai").wantStatus(t, http.StatusSeeOther)
	if !phone.signedIn() || !pc.signedIn() {
		t.Error("sessions signed in after the change do not hold")
	}
}

// A reset ends every session of the account (none was the one resetting),
// and using one link voids every other outstanding link; a password change
// voids them too.
func TestPasswordResetEndsSessionsAndOtherLinks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.memberAccount("M3000005", "つばき")
	const address = "m3000005@example.jp"
	signedIn := e.client()
	signedIn.signIn("M3000005", "member-password-1").wantStatus(t, http.StatusSeeOther)

	stranger := e.client()
	stranger.requestReset("M3000005", address)
	stranger.requestReset("M3000005", address)
	links := resetLinks(t, e.deliverOutbox(), address)
	if len(links) != 2 || links[0] == links[1] {
		t.Fatalf("mailed links %q, want two", links)
	}
	form := stranger.get(links[1])
	form.wantStatus(t, http.StatusOK)
	stranger.post(links[1], url.Values{"password": {"tsubaki-wa-akai-hana"}, "confirm": {"tsubaki-wa-akai-hana"},
		"_csrf": {form.csrfToken(t)}}).wantStatus(t, http.StatusSeeOther)
	if signedIn.signedIn() {
		t.Error("a session signed in before the reset survived it")
	}
	if stranger.signedIn() {
		t.Error("the reset signed the resetting browser in")
	}
	late := e.client()
	late.get(links[0]).wantStatus(t, http.StatusNotFound)
	late.post(links[0], url.Values{"password": {"someone-elses-choice-9"}, "confirm": {"someone-elses-choice-9"},
		"_csrf": {late.token()}}).wantStatus(t, http.StatusNotFound)

	// A link asked for before a password change is void after it.
	member := e.client()
	member.signIn("M3000005", "tsubaki-wa-akai-hana").wantStatus(t, http.StatusSeeOther)
	stranger.requestReset("M3000005", address)
	later := resetLinks(t, e.deliverOutbox(), address)
	if len(later) != 1 {
		t.Fatalf("mailed links %q, want one", later)
	}
	member.changePassword("tsubaki-wa-akai-hana", "kokoro-shizuka-ni-hana").wantStatus(t, http.StatusSeeOther)
	e.client().get(later[0]).wantStatus(t, http.StatusNotFound)
	if !member.signedIn() {
		t.Error("the session that changed the password was ended")
	}
	e.client().signIn("M3000005", "kokoro-shizuka-ni-hana").wantStatus(t, http.StatusSeeOther)
}

// Every place a password is set refuses a guessable one with the reason next
// to the field (422), in Japanese and in English, and keeps the rest of the
