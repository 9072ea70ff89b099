package app

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	xhtml "golang.org/x/net/html"

	"github.com/wardportal/portal/app/i18n"
)

// The language is part of the address: a page in English is at ?lang=en,
// so a link copied from it opens in English for whoever it is sent to.
// Japanese, the default, needs nothing. Rather than every component
// remembering to add the parameter, the rendered page's own links, forms
// and htmx requests get it here (addLangToLinks), and so do the redirects
// a handler answers with (keepLangOnRedirect).

// langLinkAttrs are the attributes holding an address of ours to follow.
var langLinkAttrs = map[string]bool{"href": true, "action": true, "hx-get": true, "hx-post": true, "hx-push-url": true}

// withLang returns the local address u with lang=lang added, or u as it
// is when it is not an address of a page (another site, a static asset, a
// file, a calendar feed) or already names a language.
func withLang(u, lang string) string {
	if !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
		return u
	}
	for _, p := range []string{"/static/", "/files/", "/calendar/"} {
		if strings.HasPrefix(u, p) {
			return u
		}
	}
	path, frag, _ := strings.Cut(u, "#")
	base, query, _ := strings.Cut(path, "?")
	if strings.HasSuffix(base, ".ics") || strings.HasSuffix(base, ".csv") {
		return u
	}
	if q, err := url.ParseQuery(query); err != nil || q.Has("lang") {
		return u
	}
	out := base + "?"
	if query != "" {
		out += query + "&"
	}
	out += "lang=" + url.QueryEscape(lang)
	if frag != "" {
		out += "#" + frag
	}
	return out
}

// addLangToLinks writes src to dst with lang added to the addresses of its
// links, forms and htmx attributes. A GET form's action loses its query
// when submitted, so such a form gets a hidden lang field instead.
func addLangToLinks(dst *bytes.Buffer, src []byte, lang string) {
	z := xhtml.NewTokenizer(bytes.NewReader(src))
	read := 0
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			dst.Write(src[read:])
			return
		}
		raw := z.Raw()
		read += len(raw)
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			dst.Write(raw)
			continue
		}
		// Raw first: Token() may consume what Raw refers to.
		rawCopy := append([]byte(nil), raw...)
		tok := z.Token()
		changed, getForm := false, false
		if tok.Data == "form" {
			getForm = true
			for _, a := range tok.Attr {
				if a.Key == "method" && !strings.EqualFold(a.Val, "get") {
					getForm = false
				}
			}
		}
		for i, a := range tok.Attr {
			if !langLinkAttrs[a.Key] || (getForm && a.Key == "action") {
				continue
			}
			if v := withLang(a.Val, lang); v != a.Val {
				tok.Attr[i].Val = v
				changed = true
			}
		}
		if changed {
			dst.WriteString(tok.String())
		} else {
			dst.Write(rawCopy)
		}
		if getForm {
			dst.WriteString(`<input type="hidden" name="lang" value="`)
			dst.WriteString(xhtml.EscapeString(lang))
			dst.WriteString(`">`)
		}
	}
}

// keepLangOnRedirect adds the request's language to the address of a
// redirect, plain or htmx, when it is not the default: the page a form
// leads to is in the language the form was in.
func keepLangOnRedirect(c echo.Context, lang string) {
	if lang == i18n.Default {
		return
	}
	res := c.Response()
	res.Before(func() {
		h := res.Header()
		for _, k := range []string{echo.HeaderLocation, "HX-Redirect", "HX-Location"} {
			if v := h.Get(k); v != "" {
				h.Set(k, withLang(v, lang))
			}
		}
	})
}
