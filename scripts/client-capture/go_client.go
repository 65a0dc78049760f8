// One HTTPS GET with Go's net/http. Usage: go run go_client.go (default|tls1.0|tls1.1) URL
// The legacy modes set tls.Config MinVersion and MaxVersion on the transport, as code talking
// to an old server does; the default mode uses http.Get as it is.
package main

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	mode, url := os.Args[1], os.Args[2]
	client := http.DefaultClient
	limits := map[string]uint16{"tls1.0": tls.VersionTLS10, "tls1.1": tls.VersionTLS11}
	if version, ok := limits[mode]; ok {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.TLSClientConfig = &tls.Config{MinVersion: version, MaxVersion: version}
		client = &http.Client{Transport: transport}
	} else if mode != "default" {
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		os.Exit(2)
	}
	client.Timeout = 10 * time.Second
	response, err := client.Get(url)
	if err != nil {
		// The capture listener closes the connection after the ClientHello: expected.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	response.Body.Close()
}
