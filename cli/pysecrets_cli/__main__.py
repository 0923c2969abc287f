from pysecrets_cli.main import main

raise SystemExit(main())
