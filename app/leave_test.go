package app

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/wardportal/portal/db"
)

func TestLeaveSignature(t *testing.T) {
	t.Parallel()
	a := &App{cfg: testConfig()}
	other := testConfig()
	other.Secret = strings.Repeat("x", 40)
	b := &App{cfg: other}
	dest := "https://www.example.jp/park?a=1"
	sig := a.leaveSig(dest)
	for _, tc := range []struct {
		name      string
		dest, sig string
		want      bool
	}{
		{"its own signature", dest, sig, true},
		{"no signature", dest, "", false},
		{"a character changed", dest, "A" + sig[1:], false},
		{"cut short", dest, sig[:len(sig)-1], false},
		{"another destination's signature", dest, a.leaveSig("https://www.example.jp/"), false},
		{"the destination changed", dest + "&b=2", sig, false},
		{"another secret's signature", dest, b.leaveSig(dest), false},
		{"the device-cookie signature of the same text", dest, a.deviceSig(dest), false},
	} {
		if got := a.validLeaveSig(tc.dest, tc.sig); got != tc.want {
			t.Errorf("%s: validLeaveSig = %v, want %v", tc.name, got, tc.want)
		}
	}
	if a.leaveSig(dest) != sig {
		t.Error("signing is not deterministic")
	}
}

// leaveLinks are the hrefs of main's links that leave the site.
func leaveLinks(doc *goquery.Document, dest string) []string {
	var out []string
	doc.Find("main a[href]").Each(func(_ int, s *goquery.Selection) {
		if h := s.AttrOr("href", ""); strings.Contains(h, dest) {
			out = append(out, h)
		}
	})
	return out
}

func TestLeaveNotice(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	// An approved link request for www.city-partner.example (第16条3項).
	ed := e.staffAccount("editor1", db.RoleEditor)
	mgr := e.staffAccount("manager1", db.RoleSiteManager)
	r := &db.LinkRequest{SiteName: "協力団体", URL: "https://www.city-partner.example/", Content: "行事案内", Administrator: "代表 一郎",
		Reason: "区の行事の詳細", StartDate: time.Now().AddDate(0, 0, -3), Contact: "03-0000-0000",
		NoneAdult: true, NoneCrime: true, NoneDefame: true, NonePolitical: true, NoneElection: true, NoneMalware: true}
	if err := e.db.RequestLink(ctx, db.Actor{Account: ed, Role: db.RoleEditor}, r); err != nil {
		t.Fatal(err)
	}
	if err := e.db.DecideLink(ctx, db.Actor{Account: mgr, Role: db.RoleSiteManager}, r.ID, true, "", time.Now()); err != nil {
		t.Fatal(err)
	}

	evil := "https://evil.example/phish"
	signed := e.app.markup.LeaveURL("https://www.example.jp/park")
	for _, tc := range []struct {
		name, path, dest string
		link             bool
	}{
		{"signed by the portal", signed, "https://www.example.jp/park", true},
		{"unsigned unknown", "/leave?to=" + url.QueryEscape(evil), evil, false},
		{"tampered signature", "/leave?to=" + url.QueryEscape(evil) + "&sig=" + url.QueryEscape(e.app.leaveSig(evil)[1:]+"A"), evil, false},
		{"a signature of another address", "/leave?to=" + url.QueryEscape(evil) + "&sig=" + url.QueryEscape(e.app.leaveSig("https://www.example.jp/park")), evil, false},
		{"approved domain, unsigned", "/leave?to=" + url.QueryEscape("https://www.city-partner.example/event/3"), "https://www.city-partner.example/event/3", true},
		{"a host under the approved domain is not it", "/leave?to=" + url.QueryEscape("https://x.www.city-partner.example/"), "https://x.www.city-partner.example/", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.get(tc.path)
			res.wantStatus(t, http.StatusOK)
			links := leaveLinks(res.Doc, strings.TrimPrefix(tc.dest, "https://"))
			if tc.link {
				if href := res.Doc.Find("main a.button").AttrOr("href", ""); href != tc.dest || len(links) != 1 {
					t.Errorf("continue link %q (links to it: %v), want %q", href, links, tc.dest)
				}
				if !strings.Contains(res.Doc.Find("main").Text(), "区および運営者は責任を負いません") {
					t.Error("the disclaimer of 第16条2項 is missing")
				}
				return
			}
			if len(links) != 0 || res.Doc.Find("main a.button").Length() != 0 {
				t.Errorf("an unverified destination is a link: %v", links)
			}
			main := res.Doc.Find("main").Text()
			if !strings.Contains(main, tc.dest) || !strings.Contains(main, "このサイトが作成したものではありません") {
				t.Errorf("the page does not name the address as text and say the portal did not make it: %q", main)
			}
		})
	}
	for _, bad := range []string{"", "javascript%3Aalert(1)", "%2Flocal", "https%3A%2F%2Fuser%3Apw%40evil.example%2F"} {
		e.get("/leave?to="+bad).wantStatus(t, http.StatusBadRequest)
	}
}

// TestLeaveRenderedLinks follows the links the portal renders: a page body's
// outbound link (markup) is shown as a link by /leave.
func TestLeaveRenderedLinks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	html := e.app.markup.Render("[公園](https://parks.example/nakano?x=1&y=2) と https://parks.example/b")
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		n++
		href := s.AttrOr("href", "")
		res := e.get(href)
		res.wantStatus(t, http.StatusOK)
		if got := res.Doc.Find("main a.button").AttrOr("href", ""); !strings.HasPrefix(got, "https://parks.example/") {
			t.Errorf("%s: continue link %q", href, got)
		}
	})
	if n != 2 {
		t.Errorf("%d links rendered, want 2", n)
	}
}
