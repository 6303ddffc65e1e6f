package geo

import (
	"math"
	"strconv"
)

// Vision is a way of seeing colours: normal, or one of the two common
// red-green colour-vision deficiencies, simulated.
type Vision int

const (
	NormalVision Vision = iota
	Protanopia
	Deuteranopia
)

// Simulation matrices of Machado, Oliveira and Fernandes (2009) at
// severity 1, on linear RGB.
var visionMatrix = map[Vision][3][3]float64{
	Protanopia: {
		{0.152286, 1.052583, -0.204868},
		{0.114503, 0.786281, 0.099216},
		{-0.003882, -0.048116, 1.051998},
	},
	Deuteranopia: {
		{0.367322, 0.860646, -0.227968},
		{0.280085, 0.672501, 0.047413},
		{-0.011820, 0.042940, 0.968881},
	},
}

// Lab returns the CIE L*a*b* (D65) of the #rrggbb colour hex as seen with
// vision v, and false when hex is not such a colour.
func Lab(hex string, v Vision) ([3]float64, bool) {
	if !colorRe.MatchString(hex) {
		return [3]float64{}, false
	}
	var rgb [3]float64
	for i := range rgb {
		n, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		c := float64(n) / 255
		if c <= 0.04045 {
			rgb[i] = c / 12.92
		} else {
			rgb[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	if m, ok := visionMatrix[v]; ok {
		var s [3]float64
		for i := range s {
			s[i] = min(1, max(0, m[i][0]*rgb[0]+m[i][1]*rgb[1]+m[i][2]*rgb[2]))
		}
		rgb = s
	}
	x := (0.4124564*rgb[0] + 0.3575761*rgb[1] + 0.1804375*rgb[2]) / 0.95047
	y := 0.2126729*rgb[0] + 0.7151522*rgb[1] + 0.0721750*rgb[2]
	z := (0.0193339*rgb[0] + 0.1191920*rgb[1] + 0.9503041*rgb[2]) / 1.08883
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return (24389.0/27*t + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}, true
}

// DeltaE76 returns the CIE 1976 colour difference (the euclidean distance
// in L*a*b*) of the #rrggbb colours a and b as seen with vision v, or NaN
// when either is not such a colour.
func DeltaE76(a, b string, v Vision) float64 {
	la, okA := Lab(a, v)
	lb, okB := Lab(b, v)
	if !okA || !okB {
		return math.NaN()
	}
	return math.Sqrt((la[0]-lb[0])*(la[0]-lb[0]) + (la[1]-lb[1])*(la[1]-lb[1]) + (la[2]-lb[2])*(la[2]-lb[2]))
}
