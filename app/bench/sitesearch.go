package bench

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// siteSearchTerms is what residents type into the header's search box:
// one kanji, two-kanji words (the hard case for bigrams: many matches in
// every kind), longer words, kana, a town, a word nobody wrote, two words.
var siteSearchTerms = []string{
	"祭", "防災", "清掃", "子育て", "補助金", "防災訓練", "ぼらんてぃあ", "図書館",
	"神楽坂", "相談", "温泉", "避難所 訓練", "高齢者", "講座",
}

// runSiteSearch measures the site search (/search?q=) at the seeded size,
// one search at a time like board_search: every kind is searched, so the
// figure is the sum of the eight kinds' queries plus the page.
func runSiteSearch(ctx context.Context, env *Env) ([]Figure, error) {
	if err := checkSiteSearch(ctx, env); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	st, err := env.searches("site_search", siteSearchTerms, func(term string) error {
		_, err := getSiteSearch(ctx, client, env, term)
		return err
	})
	if err != nil {
		return nil, err
	}
	return []Figure{
		Millis("site_search_p50", st.P50),
		Millis("site_search_p99", st.P99),
	}, nil
}

// checkSiteSearch makes sure the page really searches: for 防災 it must
// show the first event the data layer finds.
func checkSiteSearch(ctx context.Context, env *Env) error {
	const term = "防災"
	gs, err := env.DB.SiteSearch(ctx, term, []string{"event"}, time.Now().Truncate(time.Minute), 1)
	if err != nil {
		return err
	}
	if len(gs) == 0 || len(gs[0].Hits) == 0 {
		return errors.New("site search for 防災 found no event: is the database seeded?")
	}
	page, err := getSiteSearch(ctx, http.DefaultClient, env, term)
	if err != nil {
		return err
	}
	if !strings.Contains(page, html.EscapeString(gs[0].Hits[0].Title)) {
		return fmt.Errorf("/search?q=%s does not show %q, the first event found: does the page search?", term, gs[0].Hits[0].Title)
	}
	return nil
}

// getSiteSearch fetches the site search's page for term and returns its body.
func getSiteSearch(ctx context.Context, client *http.Client, env *Env, term string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.PortalURL+"/search?q="+url.QueryEscape(term), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("User-Agent", "portal-bench")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /search?q=%s: status %d", term, resp.StatusCode)
	}
	return string(b), nil
}
