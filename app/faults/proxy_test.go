package faults

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer answers every line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends a line and reads it back within d.
func roundTrip(c net.Conn, d time.Duration) error {
	_ = c.SetDeadline(time.Now().Add(d))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err == nil && line != "ping\n" {
		err = errors.New("got " + line)
	}
	return err
}

func TestProxyCutStallSlow(t *testing.T) {
	t.Parallel()
	p := Start(t, echoServer(t))
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	c := dial()
	if err := roundTrip(c, time.Second); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}

	// Stall: nothing comes back, and the held bytes arrive after Restore.
	p.Stall()
	if err := roundTrip(c, 200*time.Millisecond); err == nil {
		t.Fatal("an answer came through a stalled proxy")
	}
	fresh := dial()
	if err := roundTrip(fresh, 200*time.Millisecond); err == nil {
		t.Fatal("a new connection was answered while stalled")
	}
	p.Restore()
	_ = fresh.SetDeadline(time.Now().Add(time.Second))
	if line, err := bufio.NewReader(fresh).ReadString('\n'); err != nil || line != "ping\n" {
		t.Fatalf("the held bytes after the stall: %q %v", line, err)
	}

	// Slow: a round trip takes at least the latency each way.
	p.Slow(100 * time.Millisecond)
	start := time.Now()
	if err := roundTrip(dial(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("a slowed round trip took %s", took)
	}
	p.Restore()

	// Cut: open connections end, new ones are hung up on; Restore lets new
	// ones through.
	c = dial()
	if err := roundTrip(c, time.Second); err != nil {
		t.Fatal(err)
	}
	p.Cut()
	if err := roundTrip(c, time.Second); err == nil {
		t.Fatal("a cut connection still answers")
	}
	if err := roundTrip(dial(), time.Second); err == nil {
		t.Fatal("a new connection is answered while cut")
	}
	if p.Cuts() == 0 {
		t.Error("Cuts counts nothing")
	}
	p.Restore()
	if err := roundTrip(dial(), time.Second); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
	p.Close()
	if _, err := net.Dial("tcp", p.Addr()); err == nil {
		t.Error("a closed proxy accepts connections")
	}
}
