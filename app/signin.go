package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// Sign-in throttling (README, "Security"). Failed sign-ins are counted over
// a sliding window, keyed on the login ID as typed — known or not, so an
// unknown ID is throttled, answered and worked on exactly like a known one —
// and on the client address:
//
//   - per pair (login ID, address): the owner's own typing, or one
//     stranger trying one account;
//   - per address: one stranger trying many accounts;
//   - per login ID from every address: many strangers trying one account.
//
// The last two never apply on a device the account signed in from before
// (a signed cookie, see deviceToken): strangers elsewhere cannot lock the
// owner out of their own phone or PC, whatever they try. Nothing is locked
// for good: the window slides, and ward staff can clear an account's
// failures at once (unlockSignIn).
const (
	signInWindow       = 15 * time.Minute
	maxPairFailures    = 5
	maxAddressFailures = 20
	maxAccountFailures = 20
	warnMailEvery      = 24 * time.Hour // the owner hears of failed sign-ins at most this often
)

// signInThrottled applies the limits to the failures counted so far.
func signInThrottled(n db.SignInCounts, knownDevice bool) bool {
	if n.Pair >= maxPairFailures {
		return true
	}
	return !knownDevice && (n.Address >= maxAddressFailures || n.Subject >= maxAccountFailures)
}

// underAttack decides, after a failure, whether the owner should hear of it:
// sign-in to their account is now being refused somewhere.
func underAttack(n db.SignInCounts) bool {
	return n.Pair >= maxPairFailures || n.Subject >= maxAccountFailures
}

// rateLimit is one limit: at most max events of key within window.
type rateLimit struct {
	key    db.RateKey
	window time.Duration
	max    int
}

// overLimit reports whether any of the limits has been reached.
func (a *App) overLimit(ctx context.Context, limits ...rateLimit) (bool, error) {
	for _, l := range limits {
		n, err := a.db.CountRate(ctx, l.key, a.now().Add(-l.window))
		if err != nil {
			return false, err
		}
		if n >= l.max {
			return true, nil
		}
	}
	return false, nil
}

// typedLoginID is a login ID as typed, kept in an access-history line when
// no account has it: cut to a length no real one reaches, so a long paste
// does not become a long row.
func typedLoginID(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max])
}

// Subjects of rate limits: what a request named.
const (
	subjectLogin = "login"
	subjectEmail = "email"
)

// rateSubject is the key a rate limit counts a login ID or e-mail address
// under: an HMAC with the portal's secret, so the table of counters holds
// no typed address, and the same for a value whether or not it is on record.
func (a *App) rateSubject(kind, value string) string {
	m := hmac.New(sha256.New, []byte(a.cfg.Secret))
	m.Write([]byte("rate:" + kind + ":" + strings.ToLower(strings.TrimSpace(value))))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Known devices: a sign-in that succeeds leaves a cookie naming the account,
// signed with the portal's secret. It is not a credential (the password is
// still needed); it only exempts that browser from the limits strangers
// elsewhere can run up (OWASP's "device cookies").
const deviceCookieLife = 180 * 24 * time.Hour

func (a *App) deviceCookieName() string {
	if a.cfg.Secure() {
		return "__Host-portal_device"
	}
	return "portal_device"
}

func (a *App) deviceSig(payload string) string {
	m := hmac.New(sha256.New, []byte(a.cfg.Secret))
	m.Write([]byte("device:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// deviceToken is "account.expiry.signature".
func (a *App) deviceToken(accountID int64, expires time.Time) string {
	payload := strconv.FormatInt(accountID, 10) + "." + strconv.FormatInt(expires.Unix(), 10)
	return payload + "." + a.deviceSig(payload)
}

// knownDevice reports whether the request carries an unexpired device
// cookie for the account.
func (a *App) knownDevice(c echo.Context, accountID int64) bool {
	ck, err := c.Cookie(a.deviceCookieName())
	if err != nil {
		return false
	}
	id, rest, ok1 := strings.Cut(ck.Value, ".")
	exp, sig, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || !hmac.Equal([]byte(sig), []byte(a.deviceSig(id+"."+exp))) {
		return false
	}
	n, err1 := strconv.ParseInt(id, 10, 64)
	e, err2 := strconv.ParseInt(exp, 10, 64)
	return err1 == nil && err2 == nil && n == accountID && a.now().Before(time.Unix(e, 0))
}

func (a *App) rememberDevice(c echo.Context, accountID int64) {
	exp := a.now().Add(deviceCookieLife)
	c.SetCookie(&http.Cookie{
		Name: a.deviceCookieName(), Value: a.deviceToken(accountID, exp), Path: "/", Expires: exp,
		MaxAge: int(deviceCookieLife / time.Second), HttpOnly: true, Secure: a.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
}

// signInState is what staff see of acc's failed sign-ins in the window, and
// why sign-in is refused: the limit reached, and when the window lets the
// failures go by itself (the latest failure plus the window, at the latest).
func (a *App) signInState(c echo.Context, acc *db.Account) (components.SignInState, error) {
	l, err := a.db.SignInLock(c.Request().Context(), a.rateSubject(subjectLogin, acc.LoginID), a.now().Add(-signInWindow))
	if err != nil {
		return components.SignInState{}, err
	}
	st := components.SignInState{AccountID: acc.ID, Failures: l.Failures, Limited: l.Failures >= maxAccountFailures,
		CanUnlock: roleFor(currentUser(c), permUnlockSignIn) != "", Addresses: l.Addresses, MostFromOne: l.MostFromOne,
		PairLimited: l.MostFromOne >= maxPairFailures}
	if l.Last != nil {
		until := l.Last.Add(signInWindow)
		st.Until = &until
	}
	return st, nil
}

// signInStates is signInState for a list of accounts, in one query.
func (a *App) signInStates(c echo.Context, accs []db.Account) (map[int64]components.SignInState, error) {
	subjects := make([]string, len(accs))
	for i := range accs {
		subjects[i] = a.rateSubject(subjectLogin, accs[i].LoginID)
	}
	counts, err := a.db.CountRateBySubject(c.Request().Context(), db.RateSignInFailure, subjects, a.now().Add(-signInWindow))
	if err != nil {
		return nil, err
	}
	can := roleFor(currentUser(c), permUnlockSignIn) != ""
	out := make(map[int64]components.SignInState, len(accs))
	for i := range accs {
		n := counts[subjects[i]]
		out[accs[i].ID] = components.SignInState{AccountID: accs[i].ID, Failures: n, Limited: n >= maxAccountFailures, CanUnlock: can}
	}
	return out, nil
}

// unlockSignIn clears the failed sign-ins counted against an account, from
// every address, so its owner can sign in again at once: ward staff do it
// when the owner has called and they know who is calling. It is on record
// in the audit log and in the account's access history.
func (a *App) unlockSignIn(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	acc, err := a.db.AccountByID(ctx, id)
	if err != nil {
		return err
	}
	if _, err := a.db.UnlockSignIn(ctx, acc, a.rateSubject(subjectLogin, acc.LoginID), currentUser(c), actingRole(c), c.RealIP()); err != nil {
		return err
	}
	a.flash(c, "success", "unlock.done")
	switch acc.Kind {
	case db.KindMember:
		return c.Redirect(http.StatusSeeOther, "/staff/members/"+strconv.FormatInt(acc.ID, 10))
	case db.KindStaff:
		return c.Redirect(http.StatusSeeOther, "/staff/accounts")
	default:
		return c.Redirect(http.StatusSeeOther, "/staff/groups")
	}
}
