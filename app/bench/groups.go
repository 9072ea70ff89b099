package bench

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wardportal/portal/db"
)

// groupsSearchQueries are what residents ask the group directory, drawn
// from the seed's vocabulary (db/seed/words.go): one kanji, two-character
// words, longer words, hiragana (found as katakana), and the ward's lists
// (fields, areas, days) alone and with words, including combinations that
// find nothing.
var groupsSearchQueries = []string{
	"q=食堂", "q=茶", "q=清掃", "q=子ども", "q=防災", "q=ぼらんてぃあ", "q=日本語教室", "q=四谷",
	"field=children", "area=okubo", "day=sat", "field=culture&area=ochiai1",
	"q=清掃&day=sun", "q=子ども&area=tsunohazu", "q=温泉", "field=sports&area=yotsuya&day=wed",
}

// runGroupsSearch measures the group directory's search (/groups?q=…&field=…)
// at the seeded size (2,000 groups in full), one search at a time like
// board_search: what a resident waits for. Goal: p99 < 50 ms.
func runGroupsSearch(ctx context.Context, env *Env) ([]Figure, error) {
	client := &http.Client{Timeout: 30 * time.Second}
	if err := checkGroupsSearch(ctx, client, env); err != nil {
		return nil, err
	}
	st, err := env.searches("groups_search", groupsSearchQueries, func(query string) error {
		_, err := getPage(ctx, client, env, "/groups?"+encodeQuery(query))
		return err
	})
	if err != nil {
		return nil, err
	}
	return []Figure{
		Millis("groups_search_p99", st.P99),
		Millis("groups_search_p50", st.P50),
	}, nil
}

// encodeQuery escapes the values of a query string written plainly.
func encodeQuery(q string) string {
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		parts[i] = k + "=" + url.QueryEscape(v)
	}
	return strings.Join(parts, "&")
}

// checkGroupsSearch makes sure the page really searches: it must list the
// first group the data layer finds for 清掃.
func checkGroupsSearch(ctx context.Context, client *http.Client, env *Env) error {
	gs, _, err := env.DB.SearchGroups(ctx, db.GroupFilter{Query: "清掃"}, 0)
	if err != nil {
		return err
	}
	if len(gs) == 0 {
		return errors.New("the group directory finds nothing for 清掃: is the database seeded with group profiles?")
	}
	page, err := getPage(ctx, client, env, "/groups?q="+url.QueryEscape("清掃"))
	if err != nil {
		return err
	}
	if !strings.Contains(page, html.EscapeString(gs[0].Name)) {
		return fmt.Errorf("/groups?q=清掃 does not list %q, the first group found: does the page search?", gs[0].Name)
	}
	return nil
}

// runGroupPage loads public group pages (profile, upcoming events, board
// topics) for anonymous visitors, spread over every public group.
func runGroupPage(ctx context.Context, env *Env) ([]Figure, error) {
	var ids []int64
	if err := env.DB.Bun.NewSelect().Table("groups").Column("id").Where("published").Order("id").Scan(ctx, &ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("no public group: is the database seeded?")
	}
	page, err := getPage(ctx, http.DefaultClient, env, "/groups/"+strconv.FormatInt(ids[0], 10))
	if err != nil {
		return nil, err
	}
	if !strings.Contains(page, `id="group-events"`) || !strings.Contains(page, `id="group-topics"`) {
		return nil, errors.New("the group page shows no events or topics section")
	}
	rs, err := env.Compare(ctx, Target{Name: "group_page", NewRequest: func(ctx context.Context, worker, n int) (*http.Request, error) {
		id := ids[(worker*7919+n)%len(ids)]
		return http.NewRequestWithContext(ctx, http.MethodGet, env.PortalURL+"/groups/"+strconv.FormatInt(id, 10), nil)
	}})
	if err != nil {
		return nil, err
	}
	return LatencyFigures("group_page", rs[0]), nil
}

// getPage fetches path from the portal and returns the body of a 200.
func getPage(ctx context.Context, client *http.Client, env *Env, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.PortalURL+path, nil)
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
		return "", fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return string(b), nil
}
