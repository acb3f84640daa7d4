// A PROXY sender built on go-proxyproto, the library frp uses: headers are
// made with proxyproto.HeaderProxyFromAddrs(2, src, dst), exactly as frp's
// BuildProxyProtocolHeader does. `cargo xtask interop` runs it against the
// project's servers on loopback.
//
//	sender udp-datagram SERVER CLIENT...  one socket, a header on every datagram
//	sender udp-flow SERVER N CLIENT...    frp's shape: one socket per client, a
//	                                      header on its first datagram only, then
//	                                      N plain datagrams
//	sender tcp LISTEN SERVER CLIENT       a TCP relay: accepts one connection,
//	                                      writes the header with WriteTo, then
//	                                      relays both ways
//
// Every UDP reply is printed on its own line.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "sender: "+format+"\n", args...)
	os.Exit(1)
}

func udpAddr(s string) *net.UDPAddr {
	a, err := net.ResolveUDPAddr("udp", s)
	if err != nil {
		fail("%s: %v", s, err)
	}
	return a
}

// header is frp's: version 2, from the client to the server's address.
func header(src, dst net.Addr) []byte {
	bytes, err := proxyproto.HeaderProxyFromAddrs(2, src, dst).Format()
	if err != nil {
		fail("format: %v", err)
	}
	return bytes
}

func exchange(conn *net.UDPConn, datagram []byte) {
	if _, err := conn.Write(datagram); err != nil {
		fail("send: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	reply := make([]byte, 65536)
	n, err := conn.Read(reply)
	if err != nil {
		fail("no reply: %v", err)
	}
	fmt.Println(string(reply[:n]))
}

func main() {
	if len(os.Args) < 4 {
		fail("usage: sender udp-datagram|udp-flow|tcp ...")
	}
	switch os.Args[1] {
	case "udp-datagram":
		server := udpAddr(os.Args[2])
		conn, err := net.DialUDP("udp", nil, server)
		if err != nil {
			fail("%v", err)
		}
		for i, client := range os.Args[3:] {
			payload := []byte(fmt.Sprintf("datagram %d", i))
			exchange(conn, append(header(udpAddr(client), server), payload...))
		}
	case "udp-flow":
		server := udpAddr(os.Args[2])
		plain, err := strconv.Atoi(os.Args[3])
		if err != nil {
			fail("N: %v", err)
		}
		for _, client := range os.Args[4:] {
			// frp's Forwarder: one local socket per client address.
			conn, err := net.DialUDP("udp", nil, server)
			if err != nil {
				fail("%v", err)
			}
			exchange(conn, append(header(udpAddr(client), server), []byte("first")...))
			for i := 0; i < plain; i++ {
				exchange(conn, []byte(fmt.Sprintf("plain %d", i)))
			}
			conn.Close()
		}
	case "tcp":
		if len(os.Args) < 5 {
			fail("usage: sender tcp LISTEN SERVER CLIENT")
		}
		ln, err := net.Listen("tcp", os.Args[2])
		if err != nil {
			fail("%v", err)
		}
		fmt.Println("listening on", ln.Addr())
		in, err := ln.Accept()
		if err != nil {
			fail("%v", err)
		}
		out, err := net.Dial("tcp", os.Args[3])
		if err != nil {
			fail("%v", err)
		}
		client, err := net.ResolveTCPAddr("tcp", os.Args[4])
		if err != nil {
			fail("%v", err)
		}
		h := proxyproto.HeaderProxyFromAddrs(2, client, out.RemoteAddr())
		if _, err := h.WriteTo(out); err != nil {
			fail("WriteTo: %v", err)
		}
		done := make(chan struct{})
		go func() { io.Copy(out, in); out.(*net.TCPConn).CloseWrite(); close(done) }()
		io.Copy(in, out)
		<-done
	default:
		fail("unknown mode %q", os.Args[1])
	}
}
