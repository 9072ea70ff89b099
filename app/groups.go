package app

// Groups (issue 15): the public directory (/groups, searched with the
// board's grams and filtered by the ward's lists), a group's page, the
// group's own profile editor (/group/profile: every change waits for a
// moderator, the live profile stays meanwhile) and its images.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/upload"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// groups is the directory: words (the board's search), field, area and
// activity day, paged by name.
func (a *App) groups(c echo.Context) error {
	var after int64
	if s := c.QueryParam("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return echo.NewHTTPError(http.StatusNotFound)
		}
		after = n
	}
	f := form.GroupFilter{Query: c.QueryParam("q"), Field: c.QueryParam("field"), Area: c.QueryParam("area"), Day: c.QueryParam("day")}
	f.Normalize()
	errs := f.Validate(db.GroupFields, db.GroupAreas, db.GroupDays)
	gs, next, err := a.db.SearchGroups(c.Request().Context(), db.GroupFilter{Query: f.Query, Field: f.Field, Area: f.Area, Day: f.Day}, after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.groups"), components.Groups(components.GroupsView{Filter: f, Errs: errs, Groups: gs, Next: next}))
}

// group is a public group's page: its profile, upcoming events, board
// topics and the way to ask it a question.
func (a *App) group(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.PublicGroup(c.Request().Context(), a.queryTime(), id)
	if err != nil {
		return err
	}
	return a.page(c, p.Group.Name, components.GroupDetail(p))
}

// groupProfilePage shows the group its live profile, the change waiting
// (or the reason the last one was sent back) and the form, filled with the
// latest text it wrote.
func (a *App) groupProfilePage(c echo.Context) error {
	st, err := a.db.GroupProfileState(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	src := st.Group.Content()
	if st.Latest != nil && st.Latest.Status != db.ProfileApproved {
		src = st.Latest.ProfileContent // the group goes on from what it wrote last
	}
	return a.page(c, a.t(c, "group_profile.title"), components.GroupProfileEditor(components.GroupProfileView{State: st, Form: profileForm(src)}))
}

// profileForm is the form filled with a profile.
func profileForm(p db.ProfileContent) form.GroupProfile {
	f := form.GroupProfile{Summary: p.Summary, Description: p.Description, Activity: p.Activity, Places: p.Places,
		HowToJoin: p.HowToJoin, Fees: p.Fees, Contact: p.Contact, Fields: p.Fields, Areas: p.Areas, Days: p.Days,
		ContactOwn: p.Contact != ""}
	for i, l := range p.Links {
		if i > 0 {
			f.Links += "\n"
		}
		f.Links += l
	}
	for _, id := range p.ImageIDs {
		f.Images = append(f.Images, strconv.FormatInt(id, 10))
	}
	return f
}

// saveGroupProfile sends the profile to the moderators. Bad input, a
// contact that is a registered member's personal address or phone, or a
// change now with the ward shows the form again with everything typed.
func (a *App) saveGroupProfile(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if err := c.Request().ParseForm(); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "form")
	}
	vals := c.Request().PostForm
	f := form.GroupProfile{Summary: vals.Get("summary"), Description: vals.Get("description"), Activity: vals.Get("activity"),
		Places: vals.Get("places"), HowToJoin: vals.Get("how_to_join"), Fees: vals.Get("fees"), Contact: vals.Get("contact"),
		Links: vals.Get("links"), ContactOwn: vals.Get("contact_own") == "yes",
		Fields: vals["fields"], Areas: vals["areas"], Days: vals["days"], Images: vals["images"]}
	f.Normalize()
	st, err := a.db.GroupProfileState(ctx, u)
	if err != nil {
		return err
	}
	imageIDs := make([]string, len(st.Images))
	for i := range st.Images {
		imageIDs[i] = strconv.FormatInt(st.Images[i].ID, 10)
	}
	errs := f.Validate(db.GroupFields, db.GroupAreas, db.GroupDays, imageIDs)
	if !errs.Any() && f.Contact != "" {
		emails, phones := f.ContactParts()
		member, err := a.db.ContactOfMember(ctx, emails, phones)
		if err != nil {
			return err
		}
		if member {
			errs.Add("contact", "groups.err.contact_member")
		}
	}
	again := func(status int) error {
		return a.render(c, status, a.t(c, "group_profile.title"), components.GroupProfileEditor(components.GroupProfileView{State: st, Form: f, Errs: errs}))
	}
	if errs.Any() {
		return again(http.StatusUnprocessableEntity)
	}
	content := db.ProfileContent{Summary: f.Summary, Description: f.Description, Activity: f.Activity, Fields: f.Fields,
		Areas: f.Areas, Days: f.Days, Places: f.Places, HowToJoin: f.HowToJoin, Fees: f.Fees, Contact: f.Contact, Links: f.LinkList()}
	for _, s := range f.Images {
		id, _ := form.ID(s)
		content.ImageIDs = append(content.ImageIDs, id)
	}
	_, err = a.db.SubmitGroupProfile(ctx, actorAs(c, db.KindGroup), content)
	if errors.Is(err, db.ErrProfileEscalated) {
		errs.Add("description", "groups.err.escalated")
		return again(http.StatusConflict)
	}
	if err != nil {
		return err
	}
	a.flash(c, "success", "group_profile.submitted")
	return c.Redirect(http.StatusSeeOther, "/group/profile")
}

// groupImageRoute is the upload of a group's images: a multipart form with
// a file, allowed a larger body (routes.go).
const groupImageRoute = "/group/profile/images"

// uploadGroupImage stores an image with its alternative text for the
// group's profile; a refused file shows the page again with the reason.
func (a *App) uploadGroupImage(c echo.Context) error {
	ctx := c.Request().Context()
	f := form.Upload{Alt: c.FormValue("alt")}
	if fh, err := c.FormFile("file"); err == nil {
		f.Filename = fh.Filename
		if fh.Size > upload.MaxSize {
			f.TooLarge = true
		} else if f.Data, err = readFile(fh); err != nil {
			return err
		}
	}
	f.Normalize()
	var file *upload.File
	var errs form.Errors
	if err := a.withImageSlot(ctx, func() { file, errs = f.Validate() }); err != nil {
		return err
	}
	if file != nil && !upload.IsImage(file.ContentType) {
		errs.Add("file", "groups.err.image_type")
	}
	if !errs.Any() {
		img := &db.GroupImage{Filename: file.Name, ContentType: file.ContentType, Size: int64(len(file.Data)), SHA256: file.SHA256,
			Data: file.Data, Width: file.Width, Height: file.Height, Alt: f.Alt, DataSmall: file.Small, SmallType: file.SmallType}
		err := a.db.AddGroupImage(ctx, actorAs(c, db.KindGroup), img)
		if errors.Is(err, db.ErrTooManyImages) {
			errs.Add("file", "groups.err.images_many")
		} else if err != nil {
			return err
		} else {
			a.flash(c, "success", "group_profile.image_added")
			return c.Redirect(http.StatusSeeOther, "/group/profile#images")
		}
	}
	st, err := a.db.GroupProfileState(ctx, currentUser(c))
	if err != nil {
		return err
	}
	src := st.Group.Content()
	if st.Latest != nil && st.Latest.Status != db.ProfileApproved {
		src = st.Latest.ProfileContent
	}
	return a.render(c, http.StatusUnprocessableEntity, a.t(c, "group_profile.title"), components.GroupProfileEditor(components.GroupProfileView{
		State: st, Form: profileForm(src), Upload: f, UploadErrs: errs}))
}

// groupImage serves an image of a group's profile: to everyone once a live
// profile shows it; before that to the group itself and the moderators.
func (a *App) groupImage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	imageID, err := strconv.ParseInt(c.Param("image"), 10, 64)
	if err != nil || imageID <= 0 {
		return fmt.Errorf("image %q: %w", c.Param("image"), db.ErrNotFound)
	}
	u := currentUser(c)
	img, public, err := a.db.GroupImageFor(c.Request().Context(), id, imageID, u, roleFor(u, permModerate) != "")
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	if public {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	if c.QueryParam("size") == "original" {
		return c.Blob(http.StatusOK, img.ContentType, img.Data)
	}
	return c.Blob(http.StatusOK, img.SmallType, img.DataSmall)
}
