// Already formatted: gofmt -l does not list it.
package shapes

// Perimeter is the length around a circle.
func (c Circle) Perimeter() float64 {
	return 2 * 3.141592653589793 * c.Radius
}
