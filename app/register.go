package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/auth"
	"github.com/wardportal/portal/app/form"
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

// register stores a resident's registration. The account waits for the
// operator's and the ward's confirmation; the user ID and initial password
// are shown once, and the user ID (never the password) is mailed.
func (a *App) register(c echo.Context) error {
	r := form.Registration{Profile: bindProfile(c), Agree: c.FormValue("agree") == "yes"}
	r.Normalize()
	errs := r.Validate()
	invalid := func() error {
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "register.title"), components.RegisterForm(r, errs))
	}
	if errs.Any() {
		return invalid()
	}
	password := auth.GeneratePassword(12)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	lang := a.viewRequest(c).Lang
	for attempt := 0; ; attempt++ {
		acc := &db.Account{LoginID: newMemberLoginID(), DisplayName: r.Handle, PasswordHash: hash}
		prof := &db.MemberProfile{Name: r.Name, NameKana: r.NameKana, PostalCode: r.PostalCode, Town: form.Town(r.Address),
			Address: r.Address, Phone: r.Phone, Fax: r.Fax, Email: r.Email, TermsVersion: form.TermsVersion}
		mail := a.composeMail(lang, "registered", r.Email, map[string]any{"LoginID": acc.LoginID, "Handle": r.Handle})
		err = a.db.RegisterMember(c.Request().Context(), acc, prof, mail, a.accessEvent(c, nil, db.ActionRegister))
		var fc *db.FieldConflict
		switch {
		case err == nil:
			c.Response().Header().Set("Cache-Control", "no-store")
			return a.page(c, a.t(c, "register.done_title"), components.RegisterDone(acc.LoginID, password))
		case errors.As(err, &fc) && fc.Field == "login_id" && attempt < 5:
			continue
		case errors.As(err, &fc) && fc.Field == "handle":
			errs.Add("handle", "form.err.handle_taken")
			return invalid()
		case errors.As(err, &fc) && fc.Field == "email":
			errs.Add("email", "form.err.email_taken")
			return invalid()
		default:
			return err
		}
	}
}
