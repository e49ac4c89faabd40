package bridge

// TestEnv builds the environment the bridge's tests run requests in: the
// real wiring of cmd/puqminio/wire, which wire_test.go (package
// bridge_test, which may import it) sets here.
var TestEnv func() Env

func testEnv() Env { return TestEnv() }
