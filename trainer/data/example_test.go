package data_test

import (
	"fmt"
	"strings"

	"github.com/ohemlab/ohemlab/trainer/data"
)

func ExampleLoad() {
	s, err := data.Load(data.Config{Name: data.Moons, Size: 500, PosFrac: 0.2, LabelNoise: 0.1}, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Name, s.Classes, s.Dim, s.NumTrain(), s.NumTest(), s.FlippedFrac())
	// Output: moons 2 2 400 100 0.1
}

func ExampleParseCSV() {
	in := "petal_length,petal_width,species\n1.4,0.2,setosa\n4.7,1.4,versicolor\n1.3,0.2,setosa\n"
	t, err := data.ParseCSV(strings.NewReader(in), data.CSVOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(t.Features, t.Label, t.ClassNames, t.Y)

	_, err = data.ParseCSV(strings.NewReader("x,label\n1,a\noops,b\n"), data.CSVOptions{})
	fmt.Println(err)
	// Output:
	// [petal_length petal_width] species [setosa versicolor] [0 1 0]
	// line 3: column "x": "oops" is not a number
}

func ExampleConfig_Validate() {
	fmt.Println(data.Config{Name: data.Circle, Size: 5}.Validate())
	// Output: data.size: 5 is out of range [20, 200000]
}
