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

	"github.com/wardportal/portal/db"
)

// boardSearchTerms is what residents type into the board's search box,
// drawn from the seed's vocabulary (db/seed/words.go): one kanji, two-kanji
// words, longer words, kana (hiragana finds the katakana posts use,
// half-width finds full-width), a town, a word no post holds, and two words
// at once — related ones and ones that rarely meet.
var boardSearchTerms = []string{
	"祭", "清掃", "防災訓練", "子ども食堂", "ぼらんてぃあ", "ﾌﾘｰﾏｰｹｯﾄ", "ポイ捨て", "花壇",
	"避難所", "桜", "神楽坂", "温泉", "清掃 公園", "防災訓練 炊き出し", "祭 寄付", "盆踊り 避難所",
}

// runBoardSearch measures the board search at the seeded size through the
// portal's /board?q= page, one search at a time like member_search: the
// figures are what a resident waits for, not the queue of a saturated box.
func runBoardSearch(ctx context.Context, env *Env) ([]Figure, error) {
	if err := checkBoardSearch(ctx, env); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	st, err := env.searches("board_search", boardSearchTerms, func(term string) error {
		_, err := getSearch(ctx, client, env, term)
		return err
	})
	if err != nil {
		return nil, err
	}
	return []Figure{
		Millis("board_search_p50", st.P50),
		Millis("board_search_p99", st.P99),
	}, nil
}

// checkBoardSearch makes sure the page really searches: it must show the
// title of the newest post the data layer finds (a reply's topic title).
func checkBoardSearch(ctx context.Context, env *Env) error {
	const term = "清掃"
	p, err := env.DB.SearchPosts(ctx, term, 0, db.Cursor{})
	if err != nil {
		return err
	}
	if len(p.Items) == 0 {
		return errors.New("board search for 清掃 found nothing: is the database seeded?")
	}
	title := p.Items[0].Title
	if p.Items[0].TopicID != nil {
		title = p.Items[0].TopicTitle
	}
	page, err := getSearch(ctx, http.DefaultClient, env, term)
	if err != nil {
		return err
	}
	if !strings.Contains(page, html.EscapeString(title)) {
		return fmt.Errorf("/board?q=%s does not show %q, the newest post found: does the page search?", term, title)
	}
	return nil
}

// getSearch fetches the board's search page for term and returns its body.
func getSearch(ctx context.Context, client *http.Client, env *Env, term string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.PortalURL+"/board?q="+url.QueryEscape(term), nil)
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
		return "", fmt.Errorf("GET /board?q=%s: status %d", term, resp.StatusCode)
	}
	return string(b), nil
}
