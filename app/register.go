package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/app/i18n"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// newMemberLoginID draws a user ID: "M" and seven digits. Random rather than
// sequential, so an ID says nothing about how many residents registered.
func newMemberLoginID() string {
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("M%07d", n.Int64()+1_000_000)
}

func bindProfile(c echo.Context) form.Profile {
	return form.Profile{
		Name: c.FormValue("name"), NameKana: c.FormValue("name_kana"), PostalCode: c.FormValue("postal_code"),
		Address: c.FormValue("address"), Phone: c.FormValue("phone"), Fax: c.FormValue("fax"),
		Email: c.FormValue("email"), Handle: c.FormValue("handle"),
	}
}

func (a *App) registerPage(c echo.Context) error {
	return a.page(c, a.t(c, "register.title"), components.RegisterForm(form.Registration{}, nil))
}

// Registration limits: registrations that reach the database (valid
// forms), whether the address was new or not, per client address and per
// e-mail address typed. The address limit leaves room for a help desk
// registering residents one after another; the e-mail limit bounds the
// mails a stranger can make the portal send to someone's address.
const (
	registerWindow        = time.Hour
	maxRegisterPerAddress = 10
	registerEmailWindow   = 24 * time.Hour
	maxRegisterPerEmail   = 3
)

// register stores a resident's registration. The account waits for the
// operator's and the ward's confirmation; the user ID and initial password
// are shown once, and the user ID (never the password) is mailed.
//
// An address that is already registered gets the same page after the same
// work — credentials drawn and hashed as for a new one, which lead nowhere —
// and its owner gets a mail saying someone tried; a stranger cannot use the
// form to learn who is registered.
func (a *App) register(c echo.Context) error {
	ctx := c.Request().Context()
	r := form.Registration{Profile: bindProfile(c), Agree: c.FormValue("agree") == "yes"}
	r.Normalize()
	errs := r.Validate()
	invalid := func(status int) error {
		if htmx.IsPartial(c.Request()) {
			status = http.StatusUnprocessableEntity // what htmx swaps in place
		}
		return a.render(c, status, a.t(c, "register.title"), components.RegisterForm(r, errs))
	}
	if errs.Any() {
		return invalid(http.StatusUnprocessableEntity)
	}
	ip, subject := c.RealIP(), a.rateSubject(subjectEmail, r.Email)
	over, err := a.overLimit(ctx,
		rateLimit{db.RateKey{Kind: db.RateRegister, IP: ip}, registerWindow, maxRegisterPerAddress},
		rateLimit{db.RateKey{Kind: db.RateRegister, Subject: subject}, registerEmailWindow, maxRegisterPerEmail})
	if err != nil {
		return err
	}
	if over {
		errs.Add("email", "register.err.too_many")
		return invalid(http.StatusTooManyRequests)
	}
	password := auth.GeneratePassword(12)
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	lang := a.viewRequest(c).Lang
	for attempt := 0; ; attempt++ {
		acc := &db.Account{LoginID: newMemberLoginID(), DisplayName: r.Handle, PasswordHash: hash, Lang: lang}
		prof := &db.MemberProfile{Name: r.Name, NameKana: r.NameKana, PostalCode: r.PostalCode, Town: form.Town(r.Address),
			Address: r.Address, Phone: r.Phone, Fax: r.Fax, Email: r.Email, TermsVersion: form.TermsVersion}
		_, err = a.db.RegisterMember(ctx, db.Registration{
			Account: acc, Profile: prof, Subject: subject,
			Mail:  a.composeMail(lang, "registered", r.Email, map[string]any{"LoginID": acc.LoginID, "Handle": r.Handle}),
			Event: a.accessEvent(c, nil, db.ActionRegister),
			Taken: func(owner *db.Account) *db.Mail {
				return a.composeMail(i18n.Default, "register_attempt", "", map[string]any{"LoginID": owner.LoginID})
			},
		})
		var fc *db.FieldConflict
		switch {
		case err == nil:
			// The same page whether the address was new (acc is stored) or
			// not (acc was only drawn).
			c.Response().Header().Set("Cache-Control", "no-store")
			return a.page(c, a.t(c, "register.done_title"), components.RegisterDone(acc.LoginID, password))
		case errors.As(err, &fc) && fc.Field == "login_id" && attempt < 5:
			continue
		case errors.As(err, &fc) && fc.Field == "handle":
			errs.Add("handle", "form.err.handle_taken")
			return invalid(http.StatusUnprocessableEntity)
		default:
			return err
		}
	}
}
