# The two commands the README shows first: `make demo` and `make test`.
SHELL := /bin/bash
DOTNET ?= dotnet
CONFIG ?= Release

.PHONY: demo serve test build bench bench-e2e bench-failover bench-restart bench-rows bench-web clean compose-config k8s-validate

demo: ## The main job on the embedded default: embedded Kafka (mock cluster), a local redis-server, real baskets.
	@scripts/ensure-redis.sh
	./cartxsell demo

serve: ## The web host on the embedded default: the shop at http://127.0.0.1:8080/shop, dashboards at http://127.0.0.1:8080/ (ARGS="--sessions 2000" adds simulated shoppers).
	@scripts/ensure-redis.sh
	./cartxsell serve --embedded $(ARGS)

test: ## Every test: unit, contract, topology, Redis, web and browser, end-to-end on the embedded broker with a real redis-server.
	@scripts/ensure-redis.sh
	@scripts/ensure-openmp.sh
	@scripts/ensure-chromium.sh
	$(DOTNET) build CartCrossSell.sln -c $(CONFIG) -nologo -clp:ErrorsOnly
	@mkdir -p TestResults
	@# The log is kept and, on a failure, its failed tests are printed again last: a CI that shows only the end of the
	@# output still names them.
	set -o pipefail; $(DOTNET) test CartCrossSell.sln -c $(CONFIG) --no-build -nologo --logger "console;verbosity=normal" -- RunConfiguration.TestSessionTimeout=2400000 2>&1 | tee TestResults/make-test.log \
	  || { scripts/failed-tests.sh TestResults/make-test.log; exit 1; }

build:
	$(DOTNET) build CartCrossSell.sln -c $(CONFIG) -nologo -clp:ErrorsOnly

bench: ## In-process benchmarks (BenchmarkDotNet): all of them, or what ARGS names (ARGS="--filter '*Ranker*'", or a per-call mode: ARGS=cart-latency); reports in BenchmarkDotNet.Artifacts/, published figures in docs/benchmarks.md.
	@scripts/ensure-openmp.sh
	$(DOTNET) run -c Release --project bench/CartCrossSell.Benchmarks -- $(or $(ARGS),--filter '*')

bench-e2e: ## End-to-end load benchmark (embedded Kafka, local redis-server, each topology group its own process); ARGS="--help" lists options.
	@scripts/ensure-redis.sh
	$(DOTNET) run -c Release --project bench/CartCrossSell.Load -- $(ARGS)

bench-failover: ## Fail-over pause: two recommender processes, one stopped or killed under steady traffic, eager vs cooperative; ARGS="--help" lists options.
	@scripts/ensure-redis.sh
	$(DOTNET) run -c Release --project bench/CartCrossSell.Load -- failover $(ARGS)

bench-rows: ## Learner rows in RocksDB: 1,000,000 skus x 100 neighbours fed to the aggregator, resident memory sampled, then a restart; ARGS="--help" lists options.
	@scripts/ensure-redis.sh
	$(DOTNET) run -c Release --project bench/CartCrossSell.Load -- rows $(ARGS)

bench-restart: ## Restart of a recommender holding 100,000 carts: stopped or killed and back on its local RocksDB state, or on none; time to ready and to the next values; ARGS="--help" lists options.
	@scripts/ensure-redis.sh
	$(DOTNET) run -c Release --project bench/CartCrossSell.Load -- restart $(ARGS)

bench-web: ## The web host's extra hop: GET /v1/carts/{id}/add-ons beside the direct Redis GET, 50 readers, in one run; ARGS="--help" lists options.
	@scripts/ensure-redis.sh
ifneq ($(filter --help -h,$(ARGS)),)
	$(DOTNET) run -c Release --project bench/CartCrossSell.WebBench -- $(ARGS)
else
	@mkdir -p bench/results
# The table goes to a temporary file first: only a run that succeeded leaves a file in bench/results (tracked), and
# pipefail makes a crash fail the target (tee alone exits 0).
	set -o pipefail; tmp=$$(mktemp); trap 'rm -f "$$tmp"' EXIT; \
	$(DOTNET) run -c Release --project bench/CartCrossSell.WebBench -- $(ARGS) | tee "$$tmp" \
	&& out=bench/results/web-$$(date -u +%Y%m%d-%H%M%S).md && chmod 644 "$$tmp" && mv "$$tmp" "$$out" && echo "written to $$out"
endif

compose-config: ## Validates docker-compose.yml without a Docker engine.
	docker-compose -f docker-compose.yml config -q

k8s-validate: ## Validates deploy/kubernetes without a cluster: parses the manifests, binds the ConfigMap with the service's options.
	$(DOTNET) test tests/CartCrossSell.Cli.Tests -c Release --filter KubernetesManifestTests

clean:
	$(DOTNET) clean CartCrossSell.sln -nologo -v quiet
	rm -rf .run
