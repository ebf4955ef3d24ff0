package shapes

func Broken() int {
	x := 
}
