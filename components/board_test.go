package components

import (
	"testing"

	"github.com/wardportal/portal/db"
)

// A board list or topic is live only when the handler says so: the zero
// view, as a later page or a search builds it, opens no stream, and a live
// one resumes after the id it was rendered at, 0 included.
func TestBoardStreamsOnlyWhenLive(t *testing.T) {
	t.Parallel()
	topic := db.TopicView{Topic: &db.BoardPost{ID: 9, Title: "t", Status: db.PostPublished}}
	cases := []struct {
		name  string
		view  BoardView
		topic TopicView
		want  string // the sse-connect URL, "" for none
	}{
		{name: "board, later page or search", view: BoardView{}, want: ""},
		{name: "board, live from 0", view: BoardView{Live: true}, want: "/board/live?after=0"},
		{name: "board, live", view: BoardView{Live: true, After: 42}, want: "/board/live?after=42"},
		{name: "topic, not live", topic: TopicView{TopicView: topic}, want: ""},
		{name: "topic, live", topic: TopicView{TopicView: topic, Live: true, After: 7}, want: "/board/live?topic=9&after=7"},
	}
	for _, c := range cases {
		comp := Board(c.view)
		if c.topic.Topic != nil {
			comp = Topic(c.topic)
		}
		doc := render(t, "ja", comp)
		src, ok := doc.Find("[sse-connect]").Attr("sse-connect")
		if c.want == "" {
			if ok {
				t.Errorf("%s: streams from %q, want no stream", c.name, src)
			}
			continue
		}
		if src != c.want {
			t.Errorf("%s: sse-connect %q, want %q", c.name, src, c.want)
		}
		if doc.Find("[sse-connect] [sse-swap]").Length() == 0 {
			t.Errorf("%s: nothing swaps in the stream's events", c.name)
		}
	}
}
