package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

func (a *App) accountHome(c echo.Context) error {
	u := currentUser(c)
	var p *db.MemberProfile
	if u.Kind == db.KindMember {
		var err error
		if p, err = a.db.Profile(c.Request().Context(), u.ID); err != nil {
			return err
		}
	}
	var posts []db.OwnPost
	if canPost(u) {
		page, err := a.db.PostsBy(c.Request().Context(), u.ID, db.Cursor{})
		if err != nil {
			return err
		}
		posts = page.Items[:min(len(page.Items), 5)]
	}
	var signups []db.MySignup
	if u.Kind == db.KindMember {
		all, err := a.db.SignupsOf(c.Request().Context(), u.ID, a.now())
		if err != nil {
			return err
		}
		signups = all[:min(len(all), 5)]
	}
	home := components.AccountHome(u, p, posts, signups)
	if u.Kind == db.KindMember {
		news, err := a.accountNewsletter(c, u)
		if err != nil {
			return err
		}
		inner := home
		home = templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
			return inner.Render(templ.WithChildren(ctx, news), w)
		})
	}
	return a.page(c, a.t(c, "account.title"), home)
}

func (a *App) passwordPage(c echo.Context) error {
	u := currentUser(c)
	lead := ""
	if u.MustChangePassword {
		lead = "password.first_time"
	}
	return a.page(c, a.t(c, "password.title"), components.PasswordForm("/account/password", !u.MustChangePassword, nil, lead))
}

// changePassword sets a new password. At first sign-in the initial password
// was just typed, so it is not asked again; later the current one is.
func (a *App) changePassword(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	personal, err := a.passwordContext(ctx, u)
	if err != nil {
		return err
	}
	np := form.NewPassword{Password: c.FormValue("password"), Confirm: c.FormValue("confirm")}
	errs := np.Validate(personal...)
	if !u.MustChangePassword {
		ok, err := a.hasher.Check(ctx, c.FormValue("current"), u.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			errs.Add("current", "form.err.current_password")
		}
	}
	same, err := a.hasher.Check(ctx, np.Password, u.PasswordHash)
	if err != nil {
		return err
	}
	if same {
		errs.Add("password", "form.err.password_same")
	}
	if errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "password.title"),
			components.PasswordForm("/account/password", !u.MustChangePassword, errs, ""))
	}
	hash, err := a.hasher.Hash(ctx, np.Password)
	if err != nil {
		return err
	}
	generation, err := a.db.SetPassword(ctx, u.ID, hash, a.now(), a.accessEvent(c, u, db.ActionPasswordChange))
	if err != nil {
		return err
	}
	// Every other session of the account is over from this commit on; this
	// one carries on, under a new id, in the new generation.
	acc := *u
	acc.SessionGeneration = generation
	if err := a.signInSession(ctx, &acc); err != nil {
		return err
	}
	a.flash(c, "success", "password.changed")
	return c.Redirect(http.StatusSeeOther, "/account")
}

// passwordContext is what acc is known by — login ID, handle or group name,
// a member's e-mail address — which its password may not contain.
func (a *App) passwordContext(ctx context.Context, acc *db.Account) ([]string, error) {
	words := []string{acc.LoginID, acc.DisplayName}
	if acc.Kind != db.KindMember {
		return words, nil
	}
	p, err := a.db.Profile(ctx, acc.ID)
	switch {
	case err == nil:
		words = append(words, p.Email)
	case !isNotFound(err):
		return nil, err
	}
	return words, nil
}

func profileOf(acc *db.Account, p *db.MemberProfile) form.Profile {
	return form.Profile{Name: p.Name, NameKana: p.NameKana, PostalCode: p.PostalCode, Address: p.Address,
		Phone: p.Phone, Fax: p.Fax, Email: p.Email, Handle: acc.DisplayName}
}

func (a *App) profilePage(c echo.Context) error {
	u := currentUser(c)
	p, err := a.db.Profile(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "account.edit_profile"), components.ProfileForm(profileOf(u, p), nil))
}

func (a *App) updateProfile(c echo.Context) error {
	u := currentUser(c)
	f := bindProfile(c)
	f.Normalize()
	errs := f.Validate()
	invalid := func() error {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "account.edit_profile"), components.ProfileForm(f, errs))
	}
	if errs.Any() {
		return invalid()
	}
	acc := *u
	acc.DisplayName = f.Handle
	p := &db.MemberProfile{Name: f.Name, NameKana: f.NameKana, PostalCode: f.PostalCode, Town: form.Town(f.Address),
		Address: f.Address, Phone: f.Phone, Fax: f.Fax, Email: f.Email}
	err := a.db.UpdateProfile(c.Request().Context(), &acc, p, a.accessEvent(c, u, db.ActionProfileUpdate))
	var fc *db.FieldConflict
	switch {
	case errors.As(err, &fc) && fc.Field == "handle":
		errs.Add("handle", "form.err.handle_taken")
		return invalid()
	case errors.As(err, &fc) && fc.Field == "email":
		errs.Add("email", "form.err.email_taken")
		return invalid()
	case err != nil:
		return err
	}
	a.flash(c, "success", "account.saved")
	return c.Redirect(http.StatusSeeOther, "/account")
}

func (a *App) history(c echo.Context) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.AccessHistory(c.Request().Context(), currentUser(c).ID, after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "account.history"), components.AccessHistory(p))
}

func (a *App) withdrawPage(c echo.Context) error {
	return a.page(c, a.t(c, "account.withdraw"), components.WithdrawForm(nil))
}

// withdraw erases the member's personal data after they confirm with their password.
func (a *App) withdraw(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	ok, err := a.hasher.Check(ctx, c.FormValue("current"), u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "account.withdraw"),
			components.WithdrawForm(form.Errors{"current": "form.err.current_password"}))
	}
	if err := a.db.Withdraw(ctx, u.ID, a.now(), a.accessEvent(c, u, db.ActionWithdraw),
		func(e *db.Event) *db.Mail { return a.signupMail("promoted", e) }); err != nil {
		return err
	}
	if err := a.sessions.Destroy(ctx); err != nil {
		return err
	}
	a.flash(c, "success", "withdraw.done")
	return c.Redirect(http.StatusSeeOther, "/")
}

// Password reset: a single-use link, valid for resetValidity, mailed to the
// address on record. Only its hash is stored.
const resetValidity = time.Hour

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func (a *App) forgotPage(c echo.Context) error {
	return a.page(c, a.t(c, "forgot.title"), components.ForgotForm("", "", false, ""))
}

// Reset-request limits, per client address and per login ID typed (known
// or not, so a limit reached says nothing about who is registered).
const (
	forgotWindow        = time.Hour
	maxForgotPerAddress = 10
	forgotIDWindow      = 24 * time.Hour
	maxForgotPerLoginID = 5
)

// forgot answers the same whether or not the ID and address matched, so it
// cannot be used to find out who is registered: the same page and status,
// and the same work up to the last step — one lookup, a token drawn, the
// mail composed, the request counted — which then stores the reset and its
// mail, or notes the request in the history.
func (a *App) forgot(c echo.Context) error {
	ctx := c.Request().Context()
	loginID := form.Fold(c.FormValue("login_id"))
	typed := c.FormValue("email")
	email, _ := form.Email(typed)
	ip, subject := c.RealIP(), a.rateSubject(subjectLogin, loginID)
	over, err := a.overLimit(ctx,
		rateLimit{db.RateKey{Kind: db.RateResetRequest, IP: ip}, forgotWindow, maxForgotPerAddress},
		rateLimit{db.RateKey{Kind: db.RateResetRequest, Subject: subject}, forgotIDWindow, maxForgotPerLoginID})
	if err != nil {
		return err
	}
	if over {
		return a.render(c, http.StatusTooManyRequests, a.t(c, "forgot.title"), components.ForgotForm(loginID, typed, false, "forgot.err.too_many"))
	}
	acc, onRecord, err := a.db.ResetTarget(ctx, loginID)
	if err != nil && !isNotFound(err) {
		return err
	}
	match := err == nil && email != "" && strings.EqualFold(onRecord, email)
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	// The token travels beside the mail, never in its stored body: staff
	// read the outbox, and a link in it would let them in.
	mail := a.composeMail(a.viewRequest(c).Lang, "reset", onRecord,
		map[string]any{"Link": a.cfg.BaseURL + "/password/reset/" + db.SecretMark, "LoginID": loginID})
	mail.Secret = tok
	if err := a.db.RecordRate(ctx, db.RateResetRequest, subject, ip); err != nil {
		return err
	}
	if match {
		if err := a.db.CreatePasswordReset(ctx, acc, tokenHash(tok), a.now().Add(resetValidity), mail,
			a.accessEvent(c, acc, db.ActionResetRequest)); err != nil {
			return err
		}
	} else {
		// On record as a refused request: in the account's history when
		// the ID is a member's (the owner sees someone tried).
		ev := a.accessEvent(c, acc, db.ActionResetRequest)
		if acc == nil {
			ev.LoginID = typedLoginID(loginID)
		}
		ev.Success = false
		if err := a.db.RecordAccess(ctx, ev); err != nil {
			return err
		}
	}
	return a.page(c, a.t(c, "forgot.title"), components.ForgotForm("", "", true, ""))
}

func (a *App) resetPage(c echo.Context) error {
	if _, err := a.db.PasswordResetAccount(c.Request().Context(), tokenHash(c.Param("token")), a.now()); err != nil {
		return err
	}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return a.page(c, a.t(c, "password.title"), components.PasswordForm(c.Request().URL.Path, false, nil, "password.reset_lead"))
}

func (a *App) reset(c echo.Context) error {
	ctx := c.Request().Context()
	h := tokenHash(c.Param("token"))
	acc, err := a.db.PasswordResetAccount(ctx, h, a.now())
	if err != nil {
		return err
	}
	personal, err := a.passwordContext(ctx, acc)
	if err != nil {
		return err
	}
	np := form.NewPassword{Password: c.FormValue("password"), Confirm: c.FormValue("confirm")}
	if errs := np.Validate(personal...); errs.Any() {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "password.title"),
			components.PasswordForm(c.Request().URL.Path, false, errs, "password.reset_lead"))
	}
	hash, err := a.hasher.Hash(ctx, np.Password)
	if err != nil {
		return err
	}
	if err := a.db.UsePasswordReset(ctx, h, acc.ID, hash, a.now(), a.accessEvent(c, acc, db.ActionPasswordReset)); err != nil {
		return err
	}
	// Whoever reset the password holds the mailbox on record: the failed
	// sign-ins counted against the account no longer need to hold them back.
	if _, err := a.db.ClearRate(ctx, db.RateKey{Kind: db.RateSignInFailure, Subject: a.rateSubject(subjectLogin, acc.LoginID)}); err != nil {
		return err
	}
	a.flash(c, "success", "password.reset_done")
	return c.Redirect(http.StatusSeeOther, "/login")
}
