from bench.api import main

raise SystemExit(main())
