// Package markup turns the text format editors write (Markdown, CommonMark
// with GitHub tables) into the HTML a page publishes. The output is
// sanitised whatever the input: raw HTML in the source is dropped by the
// renderer, and what it renders passes an allow-list sanitiser. The same
// function renders the preview and the published page, so the preview is
// byte for byte what goes live.
package markup

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// MaxSource is the longest source Render accepts; forms refuse longer.
const MaxSource = 100_000

var (
	md = goldmark.New(
		goldmark.WithExtensions(extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough, extension.Linkify),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(rewriter{}, 100))),
	)
	policy   = newPolicy(true)
	noImages = newPolicy(false)
)

func newPolicy(images bool) *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre", "code",
		"em", "strong", "del", "hr", "table", "thead", "tbody", "tr", "th", "td")
	p.AllowAttrs("align").Matching(bluemonday.Paragraph).OnElements("th", "td")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto", "tel")
	p.AllowRelativeURLs(true)
	p.RequireNoFollowOnFullyQualifiedLinks(false)
	if images {
		p.AllowAttrs("src", "alt", "width", "height").OnElements("img")
		p.AllowAttrs("loading").Matching(bluemonday.Paragraph).OnElements("img")
	}
	return p
}

// Render returns the sanitised HTML of source, its outbound links unsigned
// (/leave then shows them as text unless their domain is approved). The
// portal renders with its Renderer, which signs them.
func Render(source string) string { return Renderer{}.Render(source) }

// Renderer renders with a signer for outbound links: Sign returns the
// signature of a destination address (the app's HMAC, keyed from its
// secret), which LeaveURL adds as sig=, so /leave can tell the links the
// portal made from addresses anyone typed. The zero Renderer signs nothing.
type Renderer struct {
	Sign func(dest string) string
}

// signerKey carries the Renderer's signer to the rewriter through goldmark's
// parser context.
var signerKey = parser.NewContextKey()

// Render returns the sanitised HTML of source.
func (r Renderer) Render(source string) string {
	var b bytes.Buffer
	pc := parser.NewContext()
	pc.Set(signerKey, r.Sign)
	if err := md.Convert([]byte(source), &b, parser.WithContext(pc)); err != nil {
		// goldmark's renderer writes to memory; it fails only on a writer error.
		return ""
	}
	return strings.TrimLeft(policy.Sanitize(b.String()), "\n")
}

// WithoutImages is html (Render's output) with its images taken out, for
// pages that must stay light: the disaster-mode home page.
func WithoutImages(html string) string { return noImages.Sanitize(html) }

// rewriter shifts headings one level down (the page title is the only h1)
// and sends links that leave the site through /leave, where the resident
// is told they are leaving (Nakano rules 第16条).
type rewriter struct{}

func (rewriter) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	source := reader.Source()
	sign, _ := pc.Get(signerKey).(func(string) string)
	var autolinks []*ast.AutoLink
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(n.Level+1, 6)
		case *ast.Link:
			n.Destination = []byte(SignedLeaveURL(string(n.Destination), sign))
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkURL {
				autolinks = append(autolinks, n)
			}
		case *ast.Image:
			n.SetAttributeString("loading", []byte("lazy"))
		}
		return ast.WalkContinue, nil
	})
	// Replaced after the walk: the tree must not change under it.
	for _, n := range autolinks {
		label := n.Label(source)
		link := ast.NewLink()
		link.Destination = []byte(SignedLeaveURL(string(n.URL(source)), sign))
		link.AppendChild(link, ast.NewString(append([]byte(nil), label...)))
		n.Parent().ReplaceChild(n.Parent(), n, link)
	}
}

// LeaveURL is href as a link on a page: an absolute http(s) address goes
// through /leave; anything else (a path on this site, mailto:, tel:) stays.
// The link is unsigned; see SignedLeaveURL.
func LeaveURL(href string) string { return SignedLeaveURL(href, nil) }

// LeaveURL is href as a link on a page, signed with the Renderer's signer.
func (r Renderer) LeaveURL(href string) string { return SignedLeaveURL(href, r.Sign) }

// SignedLeaveURL is LeaveURL with the destination's signature, sign(dest),
// added as sig= after to= (dest is the address as /leave receives it in
// to). A nil sign adds none.
func SignedLeaveURL(href string, sign func(dest string) string) string {
	u, err := url.Parse(browserURL(href))
	if err != nil {
		return href
	}
	switch {
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
	case u.Scheme == "" && u.Host != "":
		// //host/path leaves the site as surely as https://host/path.
		u.Scheme = "https"
	case (u.Scheme == "http" || u.Scheme == "https") && u.Opaque != "":
		// https:host — a browser on an http page reads host as the
		// server: it leaves too, and /leave shows where to.
	default:
		return href
	}
	dest := u.String()
	out := "/leave?to=" + url.QueryEscape(dest)
	if sign != nil {
		out += "&sig=" + url.QueryEscape(sign(dest))
	}
	return out
}

// browserURL is href as a browser reads it: spaces around it, tabs and
// line breaks inside it dropped, and backslashes taken for slashes (so
// \\host is //host).
func browserURL(href string) string {
	return strings.ReplaceAll(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, strings.TrimSpace(href)), "\\", "/")
}

// LeaveTarget is the destination of a /leave link (its to=, whatever else
// the query holds), or dest itself when it is not one.
func LeaveTarget(dest string) string {
	d := strings.TrimSpace(dest)
	if !strings.HasPrefix(d, "/leave?") {
		return dest
	}
	q, err := url.ParseQuery(strings.TrimPrefix(d, "/leave?"))
	if err != nil || q.Get("to") == "" {
		return dest
	}
	return q.Get("to")
}

// ExternalLinks returns the absolute http(s) addresses source links to, in
// order of first appearance: what the outbound-link check looks at.
func ExternalLinks(source string) []string {
	doc := md.Parser().Parse(text.NewReader([]byte(source)))
	var out []string
	seen := map[string]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest string
		switch n := n.(type) {
		case *ast.Link:
			dest = string(n.Destination)
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkURL {
				dest = string(n.URL([]byte(source)))
			}
		}
		dest = LeaveTarget(dest)
		if u, err := url.Parse(dest); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && !seen[dest] {
			seen[dest] = true
			out = append(out, dest)
		}
		return ast.WalkContinue, nil
	})
	return out
}
