package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/app/htmx"
	"github.com/wardportal/portal/app/live"
	"github.com/wardportal/portal/components"
	"github.com/wardportal/portal/db"
)

// canPost reports whether an account posts on the board: members and groups.
func canPost(u *db.Account) bool {
	return u != nil && (u.Kind == db.KindMember || u.Kind == db.KindGroup)
}

// postForm is an empty post form for the viewer.
func (a *App) postForm(c echo.Context, topicID int64, cats []db.BoardCategory) components.PostForm {
	u := currentUser(c)
	return components.PostForm{TopicID: topicID, Cats: cats, CanPost: canPost(u), SignedIn: u != nil,
		Next: c.Request().URL.RequestURI()}
}

func (a *App) category(cats []db.BoardCategory, slug string) (*db.BoardCategory, error) {
	if slug == "" {
		return nil, nil
	}
	for i := range cats {
		if cats[i].Slug == slug {
			return &cats[i], nil
		}
	}
	return nil, fmt.Errorf("board category %q: %w", slug, db.ErrNotFound)
}

// board lists topics, newest first (the first page live), or search results.
func (a *App) board(c echo.Context) error {
	ctx := c.Request().Context()
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	cats, err := a.boardCategories(ctx)
	if err != nil {
		return err
	}
	cat, err := a.category(cats, c.QueryParam("category"))
	if err != nil {
		return err
	}
	var catID int64
	if cat != nil {
		catID = cat.ID
	}
	q := form.SearchQuery(c.QueryParam("q"))
	v := components.BoardView{Cats: cats, Category: cat, Query: q, Form: a.postForm(c, 0, cats)}
	v.Form.Inline = true
	if q != "" {
		if v.Page, err = a.db.SearchPosts(ctx, q, catID, after); err != nil {
			return err
		}
		return a.page(c, a.t(c, "nav.board"), components.Board(v))
	}
	if after.IsZero() {
		// Read before the list: whatever is published after this point
		// reaches the page through the stream, at worst twice (and the
		// list puts items in place by id).
		v.Live, v.After = true, a.hub.Last()
		a.viewRequest(c).Live = true
		if u := currentUser(c); canPost(u) {
			if v.Waiting, err = a.db.WaitingTopics(ctx, u.ID); err != nil {
				return err
			}
		}
	}
	if v.Page, err = a.db.ListTopics(ctx, catID, after); err != nil {
		return err
	}
	return a.page(c, a.t(c, "nav.board"), components.Board(v))
}

// topic shows a topic with its replies, live.
func (a *App) topic(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	var viewer int64
	if u := currentUser(c); u != nil {
		viewer = u.ID
	}
	after := a.hub.Last()
	t, err := a.db.TopicFor(c.Request().Context(), id, viewer)
	if err != nil {
		return err
	}
	a.viewRequest(c).Live = true
	v := components.TopicView{TopicView: *t, Viewer: viewer, Live: true, After: after, Form: a.postForm(c, id, nil)}
	return a.page(c, t.Topic.Title, components.Topic(v))
}

func (a *App) newTopicPage(c echo.Context) error {
	cats, err := a.boardCategories(c.Request().Context())
	if err != nil {
		return err
	}
	f := a.postForm(c, 0, cats)
	if id, err := strconv.ParseInt(c.QueryParam("category"), 10, 64); err == nil {
		f.CategoryID = id
	}
	return a.page(c, a.t(c, "board.new"), components.NewTopic(f))
}

// createTopic stores a new topic as pending. From the board page (htmx) the
// answer is a fresh form plus the pending topic at the top of the list;
// without JavaScript it is the topic's page, where the author sees it marked.
func (a *App) createTopic(c echo.Context) error {
	ctx := c.Request().Context()
	cats, err := a.boardCategories(ctx)
	if err != nil {
		return err
	}
	f := a.postForm(c, 0, cats)
	f.Inline = c.FormValue("inline") == "1" && htmx.IsPartial(c.Request())
	in := form.NewTopic{Post: form.Post{Title: c.FormValue("title"), Body: c.FormValue("body"), Topic: true}}
	in.Category, _ = strconv.ParseInt(c.FormValue("category"), 10, 64)
	in.Normalize()
	ids := make([]int64, len(cats))
	for i := range cats {
		ids[i] = cats[i].ID
	}
	f.Errs = in.Validate(ids)
	f.Input, f.CategoryID = in.Post, in.Category
	invalid := func() error {
		if f.Inline {
			return a.render(c, http.StatusUnprocessableEntity, "", components.TopicForm(f))
		}
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "board.new"), components.NewTopic(f))
	}
	if f.Errs.Any() {
		return invalid()
	}
	u := currentUser(c)
	cat := categoryByID(cats, in.Category)
	p, err := a.db.SubmitPost(ctx, u, db.PostInput{CategoryID: cat.ID, Title: in.Title, Body: in.Body}, a.accessEvent(c, u, ""))
	if errors.Is(err, db.ErrNotFound) {
		f.Errs.Add("category", "form.err.category")
		return invalid()
	}
	if err != nil {
		return err
	}
	if !f.Inline {
		a.flash(c, "success", "board.sent")
		return c.Redirect(http.StatusSeeOther, "/board/"+strconv.FormatInt(p.ID, 10))
	}
	withAuthor(p, u, cat)
	fresh := a.postForm(c, 0, cats)
	fresh.Inline, fresh.Sent = true, true
	return a.render(c, http.StatusOK, "", components.TopicPosted(fresh, p))
}

func categoryByID(cats []db.BoardCategory, id int64) *db.BoardCategory {
	for i := range cats {
		if cats[i].ID == id {
			return &cats[i]
		}
	}
	return nil
}

// withAuthor fills the public author and category fields of a post the
// author has just written, for showing it back in place.
func withAuthor(p *db.BoardPost, u *db.Account, cat *db.BoardCategory) {
	p.AuthorName, p.AuthorKind, p.AuthorStatus = u.DisplayName, u.Kind, u.Status
	if cat != nil {
		p.CategoryNameJa, p.CategoryNameEn = cat.NameJa, cat.NameEn
	}
}

// createReply stores a reply as pending; with htmx it appears at the end of
// the replies, marked, for its author.
func (a *App) createReply(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	f := a.postForm(c, id, nil)
	f.Input = form.Post{Body: c.FormValue("body")}
	f.Input.Normalize()
	if f.Errs = f.Input.Validate(); f.Errs.Any() {
		if htmx.IsPartial(c.Request()) {
			return a.render(c, http.StatusUnprocessableEntity, "", components.ReplyForm(f))
		}
		return a.render(c, http.StatusUnprocessableEntity, a.t(c, "board.reply"), components.ReplyPage(f))
	}
	u := currentUser(c)
	p, err := a.db.SubmitPost(ctx, u, db.PostInput{TopicID: &id, Body: f.Input.Body}, a.accessEvent(c, u, ""))
	if err != nil {
		return err
	}
	if !htmx.IsPartial(c.Request()) {
		a.flash(c, "success", "board.sent")
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/board/%d#post-%d", id, p.ID))
	}
	withAuthor(p, u, nil)
	fresh := a.postForm(c, id, nil)
	fresh.Sent = true
	return a.render(c, http.StatusOK, "", components.ReplyPosted(fresh, p))
}

func (a *App) editPostPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.OwnPost(c.Request().Context(), currentUser(c).ID, id)
	if err != nil {
		return err
	}
	if p.Status != db.PostPending && p.Status != db.PostRejected {
		return fmt.Errorf("post %d is %s: %w", id, p.Status, db.ErrNotFound)
	}
	return a.page(c, a.t(c, "board.edit_title"), components.EditPost(p, form.Post{Title: p.Title, Body: p.Body}, nil))
}

// editPost saves the author's change to a pending post, or resubmits a
// rejected one. What was typed stays on the form whatever goes wrong.
func (a *App) editPost(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	p, err := a.db.OwnPost(ctx, u.ID, id)
	if err != nil {
		return err
	}
	in := form.Post{Title: c.FormValue("title"), Body: c.FormValue("body"), Topic: p.TopicID == nil}
	in.Normalize()
	errs := in.Validate()
	version, _ := strconv.Atoi(c.FormValue("version"))
	if !errs.Any() {
		_, err = a.db.EditPost(ctx, u, id, version, in.Title, in.Body, a.accessEvent(c, u, ""))
		switch {
		case err == nil:
			a.flash(c, "success", "board.saved")
			return c.Redirect(http.StatusSeeOther, "/account/posts")
		case errors.Is(err, db.ErrStale):
			errs.Add("body", "board.stale")
		case errors.Is(err, db.ErrNotEditable):
			errs.Add("body", "board.not_editable")
		default:
			return err
		}
		if p, err = a.db.OwnPost(ctx, u.ID, id); err != nil {
			return err
		}
	}
	return a.render(c, http.StatusUnprocessableEntity, a.t(c, "board.edit_title"), components.EditPost(p, in, errs))
}

func (a *App) withdrawPost(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	err = a.db.WithdrawPost(c.Request().Context(), u, id, a.accessEvent(c, u, ""))
	switch {
	case err == nil:
		a.flash(c, "success", "board.withdrawn")
	case errors.Is(err, db.ErrNotEditable):
		a.flash(c, "error", "board.not_editable")
	default:
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/posts")
}

func (a *App) reportPage(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.PublishedPost(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "board.report_title"), components.ReportForm(p, "", nil))
}

// reportPost brings a published post back to the moderators with a reason.
func (a *App) reportPost(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.PublishedPost(ctx, id)
	if err != nil {
		return err
	}
	u := currentUser(c)
	in := form.Report{Reason: c.FormValue("reason"), Own: p.AuthorID == u.ID}
	in.Normalize()
	errs := in.Validate()
	if !errs.Any() {
		err = a.db.ReportPost(ctx, u, id, in.Reason, a.accessEvent(c, u, ""))
		switch {
		case err == nil:
			a.flash(c, "success", "board.reported")
			return c.Redirect(http.StatusSeeOther, topicURL(p))
		case errors.Is(err, db.ErrAlreadyReported):
			errs.Add("reason", "board.already_reported")
		default:
			return err
		}
	}
	return a.render(c, http.StatusUnprocessableEntity, a.t(c, "board.report_title"), components.ReportForm(p, in.Reason, errs))
}

func topicURL(p *db.BoardPost) string {
	if p.TopicID != nil {
		return fmt.Sprintf("/board/%d#post-%d", *p.TopicID, p.ID)
	}
	return fmt.Sprintf("/board/%d", p.ID)
}

// ownPosts is the author's list of their posts and what became of them.
func (a *App) ownPosts(c echo.Context) error {
	after, err := cursorParam(c)
	if err != nil {
		return err
	}
	p, err := a.db.PostsBy(c.Request().Context(), currentUser(c).ID, after)
	if err != nil {
		return err
	}
	return a.page(c, a.t(c, "board.own_posts"), components.OwnPosts(p))
}

// boardLive streams newly published topics (or, with ?topic=, replies to
// one topic) to readers. Each post is loaded and rendered once per language
// however many readers there are.
func (a *App) boardLive(c echo.Context) error {
	topic, _ := strconv.ParseInt(c.QueryParam("topic"), 10, 64)
	var catID int64
	if slug := c.QueryParam("category"); slug != "" {
		cats, err := a.boardCategories(c.Request().Context())
		if err != nil {
			return err
		}
		cat, err := a.category(cats, slug)
		if err != nil {
			return err
		}
		catID = cat.ID
	}
	lang := a.viewRequest(c).Lang
	return a.stream(c, db.StreamBoard, func(ev db.LiveEvent) (live.Message, error) {
		switch {
		case topic == 0 && ev.Name == db.LiveTopic:
		case topic != 0 && ev.Name == db.LiveReply && ev.ScopeID == topic:
		default:
			return live.Message{}, nil
		}
		f, err := a.fragments.get(fmt.Sprintf("%d/%s", ev.ID, lang), func() (fragment, error) {
			p, err := a.db.PublishedPost(a.liveCtx, ev.SubjectID)
			if errors.Is(err, db.ErrNotFound) {
				return fragment{gone: true}, nil // taken off again meanwhile
			}
			if err != nil {
				return fragment{}, err
			}
			comp := components.TopicItem(p)
			if p.TopicID != nil {
				comp = components.ReplyItem(p, 0)
			}
			html, err := a.renderString(lang, comp)
			return fragment{html: html, category: p.CategoryID}, err
		})
		if err != nil || f.gone || (catID != 0 && f.category != catID) {
			return live.Message{}, err
		}
		return live.Message{Name: ev.Name, Data: f.html}, nil
	})
}

// categoryTTL is how long an instance serves board categories from memory.
// Staff rarely change them; the instance where they do forgets at once, the
// others within the TTL.
const categoryTTL = 10 * time.Second

// boardCategories returns the categories, from memory when fresh.
func (a *App) boardCategories(ctx context.Context) ([]db.BoardCategory, error) {
	return a.categories.get(a.now(), categoryTTL, func() ([]db.BoardCategory, error) {
		return a.db.ListBoardCategories(ctx)
	})
}

// forgetCategories drops the cached categories after staff changed them.
func (a *App) forgetCategories() { a.categories.forget() }
