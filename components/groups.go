package components

import (
	"context"
	"net/url"
	"strings"

	"github.com/wardportal/portal/app/form"
	"github.com/wardportal/portal/db"
)

// GroupsView is the group directory: the search form as typed and one page
// of groups.
type GroupsView struct {
	Filter form.GroupFilter
	Errs   form.Errors
	Groups []db.Group
	Next   int64 // the last group's id when more follow, else 0
}

// query is the filter as a query string, for the next page's link.
func (v GroupsView) query() string {
	q := url.Values{}
	for k, val := range map[string]string{"q": v.Filter.Query, "field": v.Filter.Field, "area": v.Filter.Area, "day": v.Filter.Day} {
		if val != "" {
			q.Set(k, val)
		}
	}
	if len(q) == 0 {
		return "/groups"
	}
	return "/groups?" + q.Encode()
}

func (v GroupsView) filtered() bool { return v.Filter != form.GroupFilter{} }

// GroupProfileView is a group's own profile page: what is live, what waits
// and the form.
type GroupProfileView struct {
	State      *db.ProfileState
	Form       form.GroupProfile
	Errs       form.Errors
	Upload     form.Upload // the image upload form as typed
	UploadErrs form.Errors
}

// labels names slugs of one of the ward's lists, joined for a line of text.
func labels(ctx context.Context, prefix string, slugs []string) string {
	out := make([]string, len(slugs))
	for i, s := range slugs {
		out[i] = T(ctx, prefix+s)
	}
	return strings.Join(out, "、")
}

func fieldOptions(ctx context.Context) []Option {
	return catalogOptions(ctx, "groups.field.", db.GroupFields)
}
func areaOptions(ctx context.Context) []Option {
	return catalogOptions(ctx, "groups.area.", db.GroupAreas)
}
func dayOptions(ctx context.Context) []Option {
	return catalogOptions(ctx, "groups.day.", db.GroupDays)
}

// imageOptions offers the group's images to show, each by its alternative text.
func imageOptions(imgs []db.GroupImage) []Option {
	out := make([]Option, len(imgs))
	for i := range imgs {
		out[i] = Option{Value: itoa(imgs[i].ID), Label: imgs[i].Alt}
	}
	return out
}

func contactOwnValue(f form.GroupProfile) []string {
	if f.ContactOwn {
		return []string{"yes"}
	}
	return nil
}

// smallHeight is the height of an image's phone-sized copy.
func smallHeight(g db.GroupImage) int { return thumbHeight(g, min(g.Width, 800)) }

// thumbHeight is the height of the image shown w pixels wide.
func thumbHeight(g db.GroupImage, w int) int {
	if g.Width == 0 {
		return w
	}
	return max(1, g.Height*w/g.Width)
}
