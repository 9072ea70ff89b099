package components

import (
	"context"
	"net/url"
	"strconv"

	"github.com/a-h/templ"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// BoardView is the board's index: a page of topics or of search results.
type BoardView struct {
	Cats     []db.BoardCategory
	Category *db.BoardCategory // nil for all categories
	Page     db.Page[db.BoardPost]
	Query    string // a search; "" lists topics
	Waiting  []db.BoardPost
	Live     bool  // new topics appear as they are published (not on later pages or in a search)
	After    int64 // the live-event id the stream resumes after, when Live
	Form     PostForm
}

// PostForm is the state of a topic or reply form.
type PostForm struct {
	TopicID    int64 // a reply's topic; 0 for a new topic
	CategoryID int64
	Input      form.Post
	Errs       form.Errors
	Sent       bool   // the last submission was accepted: show the notice, empty fields
	Inline     bool   // posted with htmx from the list page itself
	CanPost    bool   // the viewer may post (a member or a group)
	SignedIn   bool   // signed in, but maybe not as someone who posts (staff)
	Next       string // where sign-in returns to
	Cats       []db.BoardCategory
}

// TopicView is a topic page.
type TopicView struct {
	db.TopicView
	Viewer int64 // the signed-in account, 0 for a visitor
	Live   bool  // new replies appear as they are published
	After  int64 // the live-event id the stream resumes after, when Live
	Form   PostForm
}

// boardURL builds /board URLs keeping the category and search.
func boardURL(cat *db.BoardCategory, q string) string {
	v := url.Values{}
	if cat != nil {
		v.Set("category", cat.Slug)
	}
	if q != "" {
		v.Set("q", q)
	}
	if len(v) == 0 {
		return "/board"
	}
	return "/board?" + v.Encode()
}

func boardLiveURL(v BoardView) string {
	u := "/board/live?after=" + strconv.FormatInt(v.After, 10)
	if v.Category != nil {
		u += "&category=" + url.QueryEscape(v.Category.Slug)
	}
	return u
}

func topicLiveURL(v TopicView) string {
	return "/board/live?topic=" + itoa(v.Topic.ID) + "&after=" + strconv.FormatInt(v.After, 10)
}

func topicID(id int64) string { return "topic-" + itoa(id) }
func postID(id int64) string  { return "post-" + itoa(id) }

func postStatusKey(status string) string { return "board.status." + status }

func reasonKey(reason string) string { return "moderation.reason." + reason }

func postFormID(f PostForm) string {
	if f.TopicID != 0 {
		return "reply-form"
	}
	return "topic-form"
}

// bodyID is the text area's id: f-body where the error summary links to it.
func bodyID(f PostForm) string {
	if f.TopicID != 0 {
		return "f-reply"
	}
	return "f-body"
}

func categoryValue(id int64) string {
	if id == 0 {
		return ""
	}
	return itoa(id)
}

func categoryOptions(ctx context.Context, cats []db.BoardCategory) []Option {
	opts := make([]Option, len(cats))
	for i := range cats {
		opts[i] = Option{Value: itoa(cats[i].ID), Label: cats[i].Name(Lang(ctx))}
	}
	return opts
}

func postAction(f PostForm) string {
	if f.TopicID != 0 {
		return "/board/" + itoa(f.TopicID) + "/replies"
	}
	return "/board"
}

func loginNext(next string) templ.SafeURL {
	return templ.SafeURL("/login?next=" + url.QueryEscape(next))
}

// postLabel names one of the author's posts: its title, or for a reply its topic's.
func postLabel(ctx context.Context, p *db.OwnPost) string {
	if p.TopicID != nil {
		return Tf(ctx, "board.reply_to", map[string]any{"Title": p.TopicTitle})
	}
	return p.Title
}
