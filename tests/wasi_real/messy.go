// A Go file as someone might leave it: gofmt reindents, realigns the
// struct and the comments, sorts nothing, and -s simplifies the literals.
package shapes

import (
"math"
  "fmt"
)

type Point struct{
X,Y float64 // coordinates
Label string // what to print
}

type Circle struct { Center Point; Radius float64 }

var corners = []Point{Point{X: 0, Y: 0}, Point{X: 1, Y: 0}, Point{X: 1, Y: 1}}

func (c Circle) Area() float64 { return math.Pi*c.Radius*c.Radius }

func Describe(shapes map[string]Circle) []string {
	out:=make([]string,0,len(shapes))
	for name,c:=range shapes{
		if c.Radius<=0 { continue }
		out=append(out,fmt.Sprintf("%s: %.2f",name,c.Area()))
	}
	return out[0:len(out)]
}
