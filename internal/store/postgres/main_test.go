package postgres

import (
	"testing"

	"github.com/classla/gantry/internal/testing/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
