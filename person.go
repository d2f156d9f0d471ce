package jwtauth

// Person is the request model of the FastAPI tutorial this library follows
// ("Securing a FastAPI route using JWT token"):
//
//	class Person(BaseModel):
//	    name: str
//	    gender: str
//	    age: float
//	    checked: bool
//
// All four keys are required (present and not null; "", 0 and false are
// values), with lower-case JSON names. One rule goes beyond the tutorial:
// age must lie in 0..150 (a negative or absurd age is a client error). The
// tutorial body {"name":"Foo","gender":"male","age":25.5,"checked":false}
// is valid. Decode one with [Decode], or take it as the input of [Handle].
type Person struct {
	Name    string  `json:"name" validate:"required"`              // the person's name
	Gender  string  `json:"gender" validate:"required"`            // free text, as in the tutorial
	Age     float64 `json:"age" validate:"required,min=0,max=150"` // years, 0 to 150
	Checked bool    `json:"checked" validate:"required"`           // the tutorial's flag
}
