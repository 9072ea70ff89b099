package live

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wardportal/portal/db"
	"github.com/wardportal/portal/db/dbtest"
)

func events(evs ...db.LiveEvent) <-chan db.LiveEvent {
	ch := make(chan db.LiveEvent, len(evs))
	for _, ev := range evs {
		ch <- ev
	}
	close(ch)
	return ch
}

func TestStreamFraming(t *testing.T) {
	t.Parallel()
	render := func(ev db.LiveEvent) (Message, error) {
		switch ev.Name {
		case "hidden":
			return Message{}, nil
		case "multi":
			return Message{Name: "post", Data: "<li>a</li>\r\n<li>b</li>\r<li>c</li>\n"}, nil
		case "empty":
			return Message{Name: "ping"}, nil // a name alone is a message with empty data
		}
		return Message{Name: ev.Name, Data: fmt.Sprint(ev.SubjectID)}, nil
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/live", nil)
	err := Stream(w, r, events(
		db.LiveEvent{ID: 7, Name: "multi"},
		db.LiveEvent{ID: 8, Name: "hidden"},
		db.LiveEvent{ID: 10, Name: "count", SubjectID: 3},
		db.LiveEvent{ID: 11, Name: "empty"},
	), render)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	const body = "retry: 2000\n\n" +
		"id: 7\nevent: post\ndata: <li>a</li>\ndata: <li>b</li>\ndata: <li>c</li>\ndata: \n\n" +
		"id: 8\n\n" + // skipped, but the browser's last id moves on
		"id: 10\nevent: count\ndata: 3\n\n" +
		"id: 11\nevent: ping\ndata: \n\n"
	if w.Body.String() != body {
		t.Errorf("body:\n%q\nwant\n%q", w.Body.String(), body)
	}
	if !w.Flushed {
		t.Error("not flushed")
	}
}

func TestStreamRenderErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	for name, render := range map[string]RenderFunc{
		"error":             func(db.LiveEvent) (Message, error) { return Message{}, boom },
		"error and message": func(db.LiveEvent) (Message, error) { return Message{Name: "a", Data: "x"}, boom },
		"no name":           func(db.LiveEvent) (Message, error) { return Message{Data: "x"}, nil },
		"line in name":      func(db.LiveEvent) (Message, error) { return Message{Name: "a\nb", Data: "x"}, nil },
	} {
		w := httptest.NewRecorder()
		err := Stream(w, httptest.NewRequest(http.MethodGet, "/live", nil), events(db.LiveEvent{ID: 1}), render)
		if err == nil || (strings.HasPrefix(name, "error") && !errors.Is(err, boom)) {
			t.Errorf("%s: %v", name, err)
		}
		if strings.Contains(w.Body.String(), "id: 1") {
			t.Errorf("%s: wrote %q", name, w.Body.String())
		}
	}
}

func TestLastEventID(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		header, query string
		want          int64
	}{
		{"", "", -1},
		{"42", "", 42},
		{"42", "after=7", 42},
		{"", "after=7", 7},
		{"", "after=0", 0},
		{"x", "after=7", 7},
		{"-3", "", -1},
		{"", "after=", -1},
	} {
		r := httptest.NewRequest(http.MethodGet, "/live?"+c.query, nil)
		if c.header != "" {
			r.Header.Set("Last-Event-ID", c.header)
		}
		if got := LastEventID(r); got != c.want {
			t.Errorf("Last-Event-ID %q, %q: %d, want %d", c.header, c.query, got, c.want)
		}
	}
}

// A browser's view: a real server, a reconnect with Last-Event-ID, pings
// while idle, then a live event.
func TestStreamOverHTTP(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	h := runHub(t, d)
	all := subscribe(t, h, -1, "board")
	ids := publish(t, d, "board", "board")
	recv(t, all, 2)

	served := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ch, err := h.Subscribe(r.Context(), []string{"board"}, LastEventID(r))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		render := func(ev db.LiveEvent) (Message, error) { return Message{Name: ev.Name, Data: "x"}, nil }
		served <- stream(w, r, ch, render, 10*time.Millisecond)
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?after=0", nil)
	req.Header.Set("Last-Event-ID", fmt.Sprint(ids[0]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	readUntil := func(line string) {
		t.Helper()
		for lines.Scan() {
			if lines.Text() == line {
				return
			}
			if strings.HasPrefix(lines.Text(), "id: ") && strings.HasPrefix(line, "id: ") {
				t.Fatalf("got %q, want %q", lines.Text(), line)
			}
		}
		t.Fatalf("no %q: %v", line, lines.Err())
	}
	readUntil(fmt.Sprint("id: ", ids[1])) // replayed; ids[0] was seen already
	readUntil(": ping")
	next := publish(t, d, "board")
	readUntil(fmt.Sprint("id: ", next[0]))

	cancel()
	select {
	case <-served:
	case <-time.After(wait):
		t.Fatal("Stream did not return when the client left")
	}
}
