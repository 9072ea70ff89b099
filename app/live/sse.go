package live

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wardportal/portal/db"
)

const (
	// retryMillis is how long a browser waits before reconnecting.
	retryMillis = 2000
	// pingEvery keeps proxies from closing an idle stream.
	pingEvery = 20 * time.Second
	// writeTimeout is how long one write may take before the client is
	// given up on; it replaces any server-wide WriteTimeout.
	writeTimeout = 10 * time.Second
)

// Message is what one client receives for an event: the SSE event name and
// its data, which may span lines. The zero Message skips the event for that
// client.
type Message struct {
	Name string
	Data string
}

// Skip reports whether m sends nothing but the event's id.
func (m Message) Skip() bool { return m == Message{} }

// RenderFunc turns an event into the Message one client receives. It runs
// for every client the event reaches, so anything costly (a query, a
// rendered fragment) belongs in a cache they share, keyed by the event's id.
type RenderFunc func(ev db.LiveEvent) (Message, error)

// LastEventID returns the id a client has seen up to: the Last-Event-ID
// header a reconnecting browser sends, else the after query parameter the
// page put in the stream's URL (Hub.Last when it rendered), else -1, which
// Hub.Subscribe takes as "from now on". Anything but a non-negative integer
// counts as absent.
func LastEventID(r *http.Request) int64 {
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id >= 0 {
			return id
		}
	}
	return -1
}

// Stream writes events to w as Server-Sent Events until the request ends or
// events is closed, and then returns nil; it returns the error of a failed
// write or render. Every event carries its id, so a browser that reconnects
// resumes after the last one it got, including the ones render skipped.
func Stream(w http.ResponseWriter, r *http.Request, events <-chan db.LiveEvent, render RenderFunc) error {
	return stream(w, r, events, render, pingEvery)
}

func stream(w http.ResponseWriter, r *http.Request, events <-chan db.LiveEvent, render RenderFunc, ping time.Duration) error {
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx would hold the events back
	if err := write(w, rc, "retry: "+strconv.Itoa(retryMillis)+"\n\n", true); err != nil {
		return err
	}
	ticker := time.NewTicker(ping)
	defer ticker.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-ticker.C:
			if err := write(w, rc, ": ping\n\n", true); err != nil {
				return err
			}
		case ev, open := <-events:
			if !open {
				return nil
			}
			msg, err := format(ev, render)
			if err != nil {
				return err
			}
			// Flush once a burst has been written, not after each event.
			if err := write(w, rc, msg, len(events) == 0); err != nil {
				return err
			}
		}
	}
}

var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// format renders one event. A skipped event is sent as its id alone, which
// moves the browser's last event id on without dispatching anything.
func format(ev db.LiveEvent, render RenderFunc) (string, error) {
	msg, err := render(ev)
	if err != nil {
		return "", fmt.Errorf("render live event %d: %w", ev.ID, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "id: %d\n", ev.ID)
	if !msg.Skip() {
		// Data without a name would reach no listener: a bug, not a skip.
		if msg.Name == "" || strings.ContainsAny(msg.Name, "\r\n") {
			return "", fmt.Errorf("render live event %d: bad event name %q", ev.ID, msg.Name)
		}
		fmt.Fprintf(&b, "event: %s\n", msg.Name)
		for line := range strings.SplitSeq(newlines.Replace(msg.Data), "\n") {
			fmt.Fprintf(&b, "data: %s\n", line)
		}
	}
	b.WriteString("\n")
	return b.String(), nil
}

// write sends s within writeTimeout, flushing if asked.
func write(w http.ResponseWriter, rc *http.ResponseController, s string, flush bool) error {
	// A writer that cannot take a deadline (a test recorder) writes without.
	if err := rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := w.Write([]byte(s)); err != nil {
		return err
	}
	if flush {
		return rc.Flush()
	}
	return nil
}
