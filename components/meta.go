package components

import (
	"context"
	"strings"
)

// Meta is what a shared link to a page shows (Open Graph and the
// description): its summary, its kind (article for a piece of content,
// website for a list) and an image. Empty fields fall back to the site's
// description and default image.
type Meta struct {
	Description string
	Type        string // og:type; "" is website
	Image       string // an absolute or root-relative URL; "" is the default image
}

// sharedMeta reports whether the page is public, so that a shared link to
// it shows a card: the back office, the account pages and the moderation
// queue are no one's to share, and their titles may name a member.
func sharedMeta(path string) bool {
	for _, p := range []string{"/staff", "/account", "/moderation", "/password", "/events/new"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return false
		}
	}
	return !strings.HasSuffix(path, "/edit") && !strings.HasSuffix(path, "/cancel") && !strings.HasSuffix(path, "/participants")
}

// metaDescription is the page's summary, or the site's.
func metaDescription(ctx context.Context) string {
	if d := RequestFrom(ctx).Meta.Description; d != "" {
		return d
	}
	return T(ctx, "meta.description")
}

func metaType(ctx context.Context) string {
	if t := RequestFrom(ctx).Meta.Type; t != "" {
		return t
	}
	return "website"
}

// metaImage is the page's image as an absolute address, or the default.
func metaImage(ctx context.Context) string {
	img := RequestFrom(ctx).Meta.Image
	if img == "" {
		img = Asset(ctx, "img/og-default.png")
	}
	if strings.HasPrefix(img, "/") {
		img = RequestFrom(ctx).BaseURL + img
	}
	return img
}

// ogLocale is the page's language as Open Graph names it.
func ogLocale(ctx context.Context) string {
	if Lang(ctx) == "en" {
		return "en_US"
	}
	return "ja_JP"
}

// Summary is the first words of a text (Markdown or plain) for a
// description: one line, at most 120 characters.
func Summary(text string) string {
	s := plainSnippet(text)
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "…"
	}
	return s
}
