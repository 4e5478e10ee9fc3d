// mantle-vcsim: VMware's vSphere simulator (govmomi's simulator package, as Debian ships it in
// golang-github-vmware-govmomi-dev) serving one standalone ESX host for ore's ESX tests.
//
// Two things the stock vcsim does not do and the tests need, added around its HTTP handler:
//   - the disk bytes uploaded to an HttpNfcLease device URL are kept in -nfc-dir
//     (vcsim itself discards them), so a test can compare them with what it sent;
//   - every SOAP method called is appended to -journal, one name a line, so a test can
//     check that a lease was aborted or completed;
//   - -nfc-bps slows the uploads down to a rate, as a slow link to a far host would, so a test
//     can interrupt a client in the middle of one;
//   - -tls serves HTTPS with a self-signed certificate, as most ESX hosts have;
//   - -portgroup NAME adds a port group (a network) on vSwitch0 beside "VM Network".
//
// Usage: mantle-vcsim -l 127.0.0.1:PORT -username U -password P -nfc-dir DIR -journal FILE
//
//	[-nfc-bps N] [-tls] [-portgroup NAME]
//
// Prints the SDK URL on stdout once it listens.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

var leaseThis = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?_this[^>]*>([^<]+)<`)

var soapMethod = regexp.MustCompile(`<(?:[A-Za-z0-9_]+:)?Body[^>]*>\s*<(?:[A-Za-z0-9_]+:)?([A-Za-z0-9_]+)`)

func main() {
	listen := flag.String("l", "127.0.0.1:0", "address to listen on")
	username := flag.String("username", "root", "the only user that may log in")
	password := flag.String("password", "", "its password")
	nfcDir := flag.String("nfc-dir", "", "directory that keeps the bytes uploaded to lease device URLs")
	journal := flag.String("journal", "", "file that records each SOAP method called")
	nfcBps := flag.Int("nfc-bps", 0, "upload rate limit in bytes per second (0: none)")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate")
	portgroup := flag.String("portgroup", "", "add a port group of this name on vSwitch0")
	flag.Parse()

	model := simulator.ESX()
	if err := model.Create(); err != nil {
		fmt.Fprintln(os.Stderr, "mantle-vcsim:", err)
		os.Exit(1)
	}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*username, *password)}
	if *useTLS {
		// httptest's own self-signed certificate (for 127.0.0.1 and example.com).
		model.Service.TLS = new(tls.Config)
	}
	server := model.Service.NewServer()
	inner := server.Config.Handler
	if *portgroup != "" {
		// Through the API, as an admin would, before the journal starts.
		if err := addPortgroup(server.URL, *portgroup); err != nil {
			fmt.Fprintln(os.Stderr, "mantle-vcsim: adding the port group:", err)
			os.Exit(1)
		}
	}

	var mu sync.Mutex
	record := func(method string) {
		if *journal == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(*journal, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintln(f, method)
			f.Close()
		}
	}

	// An aborted lease keeps nothing, as on a real host: what it had uploaded is removed, and an
	// upload still draining from the socket buffers when the abort came is dropped at its end
	// (loopback buffers can hold a whole small disk, so "the client stopped sending" does not
	// mean "the server stopped receiving").
	aborted := map[string]bool{}
	abortLease := func(id string) {
		mu.Lock()
		defer mu.Unlock()
		aborted[id] = true
		if *nfcDir == "" {
			return
		}
		// by prefix, not a glob: a lease id may hold glob characters ("session[...]")
		if entries, err := os.ReadDir(*nfcDir); err == nil {
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), id+"-") && !strings.HasSuffix(e.Name(), ".part") {
					os.Remove(filepath.Join(*nfcDir, e.Name()))
				}
			}
		}
	}
	isAborted := func(id string) bool {
		mu.Lock()
		defer mu.Unlock()
		return aborted[id]
	}

	// Set before the URL is printed, so no request reaches the server before it.
	server.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sdk") {
			body, err := io.ReadAll(r.Body)
			if err == nil {
				if m := soapMethod.FindSubmatch(body); m != nil {
					record(string(m[1]))
					if string(m[1]) == "HttpNfcLeaseAbort" {
						if t := leaseThis.FindSubmatch(body); t != nil {
							abortLease(string(t[1]))
						}
					}
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if *nfcDir != "" && strings.HasPrefix(r.URL.Path, "/nfc/") &&
			(r.Method == http.MethodPut || r.Method == http.MethodPost) {
			// /nfc/<lease>/<file>: keep the bytes as <lease>-<file>, then let vcsim answer.
			parts := strings.Split(r.URL.Path, "/")
			name := filepath.Base(parts[len(parts)-2] + "-" + parts[len(parts)-1])
			f, err := os.Create(filepath.Join(*nfcDir, name+".part"))
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			var src io.Reader = r.Body
			if *nfcBps > 0 {
				src = &slowReader{r: r.Body, bps: *nfcBps}
			}
			_, err = io.Copy(f, src)
			f.Close()
			if err != nil {
				// A client that went away mid-upload: nothing complete is kept.
				os.Remove(filepath.Join(*nfcDir, name+".part"))
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if isAborted(parts[len(parts)-2]) {
				os.Remove(filepath.Join(*nfcDir, name+".part"))
			} else {
				os.Rename(filepath.Join(*nfcDir, name+".part"), filepath.Join(*nfcDir, name))
			}
			r.Body = io.NopCloser(bytes.NewReader(nil))
		}
		inner.ServeHTTP(w, r)
	})

	u := *server.URL
	u.User = nil
	fmt.Println(u.String())
	select {}
}

func addPortgroup(u *url.URL, name string) error {
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return err
	}
	defer c.Logout(ctx)
	host := object.NewHostSystem(c.Client, simulator.Map.Any("HostSystem").Reference())
	ns, err := host.ConfigManager().NetworkSystem(ctx)
	if err != nil {
		return err
	}
	return ns.AddPortGroup(ctx, types.HostPortGroupSpec{Name: name, VswitchName: "vSwitch0"})
}

// slowReader hands out at most bps bytes a second.
type slowReader struct {
	r   io.Reader
	bps int
}

func (s *slowReader) Read(p []byte) (int, error) {
	chunk := s.bps / 20
	if chunk < 1 {
		chunk = 1
	}
	if len(p) > chunk {
		p = p[:chunk]
	}
	time.Sleep(50 * time.Millisecond)
	return s.r.Read(p)
}
