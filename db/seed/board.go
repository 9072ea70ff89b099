package seed

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/wardportal/portal/db"
)

// boardGen streams board posts: each topic, then its replies. A topic's
// replies are drawn before the topic row is emitted, so its reply_count (the
// number of published replies) is known without a later UPDATE. Only the
// current topic's replies are held in memory.
type boardGen struct {
	s     *seeder
	r     *rand.Rand
	now   time.Time
	start time.Time
	span  time.Duration

	topics, topic int // topics to write, topics written
	replies       int // replies still to write
	nextID        int64

	queue [][]any
	qi    int

	nTopics, nReplies int
}

// boardPosts writes Options.Posts posts: a fifth of them topics spread over
// the year before Now, the rest replies after their topic.
func (s *seeder) boardPosts(ctx context.Context) error {
	P := s.o.Posts
	if P == 0 {
		return nil
	}
	if len(s.activeMembers)+len(s.groupAuthors) == 0 {
		return errors.New("board posts need authors: seed at least one member or group")
	}
	start := time.Now()
	first, err := s.reserveIDs(ctx, "board_posts", P)
	if err != nil {
		return err
	}
	T := (P + 4) / 5
	span := 365 * 24 * time.Hour
	g := &boardGen{
		s: s, r: newRand(s.o.Seed, streamBoard), now: s.now,
		start: s.now.Add(-span), span: span,
		topics: T, replies: P - T, nextID: first,
	}
	// Adding each post to the GIN search index as it is copied costs more
	// than building the index once afterwards: drop it and build it again,
	// from the definition the migration gave it.
	var searchIndex string
	if err := s.tx.QueryRow(ctx, `SELECT pg_get_indexdef('board_posts_search_idx'::regclass)`).Scan(&searchIndex); err != nil {
		return err
	}
	if _, err := s.tx.Exec(ctx, `DROP INDEX board_posts_search_idx`); err != nil {
		return err
	}
	n, err := s.copyRows(ctx, "board_posts",
		[]string{"id", "category_id", "topic_id", "author_id", "title", "body", "status", "reply_count", "created_at", "published_at", "search_grams"},
		g.next)
	if err != nil {
		return err
	}
	if n != P {
		return errors.New("board posts: wrote a different number of posts than asked")
	}
	s.c.Topics, s.c.Replies = g.nTopics, g.nReplies
	s.done("board_posts", n, start)
	start = time.Now()
	if _, err := s.tx.Exec(ctx, searchIndex); err != nil {
		return err
	}
	s.done("(search index)", -1, start)
	return nil
}

func (g *boardGen) next() []any {
	if g.qi == len(g.queue) {
		if g.topic == g.topics {
			return nil
		}
		g.queue, g.qi = g.queue[:0], 0
		g.fillTopic()
		g.topic++
	}
	row := g.queue[g.qi]
	g.queue[g.qi] = nil
	g.qi++
	return row
}

// author picks a post's author: mostly active members (early members post
// more), some groups, a few members who have since withdrawn.
func (g *boardGen) author() int64 {
	s, r := g.s, g.r
	x := r.IntN(100)
	switch {
	case (x < 4 || len(s.activeMembers) == 0) && len(s.groupAuthors) > 0:
		return pick(r, s.groupAuthors)
	case x < 5 && len(s.withdrawn) > 0:
		return pick(r, s.withdrawn)
	}
	u := r.Float64()
	return s.activeMembers[int(u*u*float64(len(s.activeMembers)))]
}

// moderate returns the status and publication time of a post written at t:
// published a little later after moderation, or still pending, or rejected.
func (g *boardGen) moderate(t time.Time) (string, any) {
	r := g.r
	x := r.IntN(1000)
	pub := t.Add(5*time.Minute + time.Duration(r.ExpFloat64()*float64(40*time.Minute))).Truncate(time.Second)
	switch {
	case x < 15:
		return db.PostPending, nil
	case x < 30:
		return db.PostRejected, nil
	case pub.After(g.now):
		return db.PostPending, nil
	}
	return db.PostPublished, pub
}

func (g *boardGen) fillTopic() {
	r, s := g.r, g.s
	ci := weighted(r, boardWeights)
	cat := boardCategories[ci]
	catID := s.categoryIDs[ci]
	townName := pickTown(r).Name
	id := g.nextID
	g.nextID++

	at := g.start.Add(time.Duration((float64(g.topic) + r.Float64()) / float64(g.topics) * float64(g.span)))
	created := humanTime(r, at, g.now)
	title := fill(pick(r, topicTitles[cat.Slug]), townName)
	body := compose(r, topicSentences[cat.Slug], topicClosers, townName, 40, 400)
	author := g.author()
	status, pub := g.moderate(created)

	last := g.topic == g.topics-1
	if last && g.replies > 0 && pub == nil {
		// The last topic takes the remaining replies, so it must be public.
		status, pub = db.PostPublished, created
	}
	k := 0
	if pub != nil && g.replies > 0 {
		if last {
			k = g.replies
		} else {
			mean := float64(g.replies) / float64(g.topics-g.topic)
			k = min(int(mean*r.ExpFloat64()), g.replies, 300)
		}
	}
	g.replies -= k

	// Draw the replies first to count the published ones.
	topicRow := []any{id, catID, nil, author, title, body, status, 0, created, pub, db.SearchGrams(title, body)}
	g.queue = append(g.queue, topicRow)
	g.nTopics++
	published := 0
	prev := created
	if t, ok := pub.(time.Time); ok {
		prev = t
	}
	for j := 0; j < k; j++ {
		t := prev.Add(time.Minute + time.Duration(r.ExpFloat64()*float64(5*time.Hour)))
		if t.After(g.now) {
			t = prev.Add(time.Duration(r.Float64() * float64(g.now.Sub(prev))))
		}
		t = t.Truncate(time.Second)
		if t.Before(prev) {
			t = prev
		}
		prev = t
		rs, rp := g.moderate(t)
		if rs == db.PostPublished {
			published++
		}
		var body string
		if r.IntN(10) < 7 {
			body = compose(r, replySentences, nil, townName, 40, 400)
		} else {
			body = compose(r, topicSentences[cat.Slug], replySentences, townName, 40, 400)
		}
		g.queue = append(g.queue, []any{g.nextID, catID, id, g.author(), "", body, rs, 0, t, rp, db.SearchGrams("", body)})
		g.nextID++
		g.nReplies++
	}
	topicRow[7] = published
}
