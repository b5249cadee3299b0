//go:build !unix

package cargoindex

import "os"

// readFile reads the file at path into data (see readFrom).
func readFile(path string, data []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return data, err
	}
	defer f.Close()
	return readFrom(f, data)
}
