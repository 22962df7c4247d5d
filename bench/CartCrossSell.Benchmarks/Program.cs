using System.Globalization;
using BenchmarkDotNet.Running;
using CartCrossSell.Benchmarks;

// `cart-latency`: the streaming recommender's heuristic ranking call (cart rules, diversity, live rows) on real carts, after every add;
// `memory`: resident memory of a 1,000,000-sku catalog with 100 neighbours each; `memory-live`: the same rows as the
// streaming recommender holds them (LiveEvidence, the replicated item-neighbors table); `latency`: per-call percentiles of
// the ranker; `learned-latency`: per-call percentiles of the learned ranker on real ten-item carts; `learned-stages`: the same calls
// timed stage by stage; `candidates-ab`: candidate generation against its full-sort reference, alternating call by call;
// `pool-ab`: the serving ranker's pooled candidates against new ones, alternating call by call; `recent-baskets`: what a
// recommender's start spends per order of `order-events` filling the similar-baskets index; `aov-aggregator`: the
// experiment sums on a month of returning visitors, as the stream applies them and as a start restores them; `producer-flush`: a
// commit's producer flush on the embedded cluster, Confluent.Kafka's against PromptFlushProducer's; `broker-floor [RATE]
// [LINGER_MS]`: the embedded cluster's delivery to a consumer that only reads (default 5,000/s, 5 ms); `consumer-commit [RATE]
// [CONSUMERS]`: what a synchronous commit every 100 ms costs consumers in one group while records flow (default 5,000/s, 2); the learned modes take
// an orders file as their second argument (default: the December extract in data/) and `--catalog` (rank as the
// streaming recommender does: the catalog derived from the same orders, every catalog rule);
// anything else goes to BenchmarkDotNet (`--filter '*Ranker*'`, `--filter '*Learner*'`).
return args.FirstOrDefault() switch
{
    "memory" => Modes.Memory(),
    "memory-live" => Modes.LiveMemory(),
    "latency" => Modes.Latency(),
    "cart-latency" => CartRankingBench.Latency(),
    "learned-latency" => LearnedRankerBench.Latency(LearnedOrders(args), args.Contains("--catalog")),
    "learned-stages" => LearnedRankerBench.Stages(LearnedOrders(args), args.Contains("--catalog")),
    "candidates-ab" => LearnedRankerBench.CandidatesAb(LearnedOrders(args), args.Contains("--catalog")),
    "pool-ab" => LearnedRankerBench.PoolAb(LearnedOrders(args), args.Contains("--catalog")),
    "recent-baskets" => RecentBasketsBench.Replay(LearnedOrders(args), args: args),
    "aov-aggregator" => AovAggregatorBench.Run(args),
    "producer-flush" => KafkaClientBench.ProducerFlush(),
    "broker-floor" => KafkaClientBench.BrokerFloor(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000,
        args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 5),
    "consumer-commit" => KafkaClientBench.ConsumerCommit(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5_000,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2),
    _ => Run(args),
};

// The learned modes' orders file: the argument after the mode that is not a flag (null: the December extract).
static string? LearnedOrders(string[] args) => args.Skip(1).FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal));

static int Run(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    return 0;
}
