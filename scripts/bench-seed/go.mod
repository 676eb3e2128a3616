module storectl.io/bench-seed

go 1.26
