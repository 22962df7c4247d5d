using CartCrossSell.Engine.Ranking;

namespace CartCrossSell.Engine.Evaluation;

/// <summary>
/// The offline evaluation: a deterministic time split of real orders into train and test; for each test basket with
/// at least three distinct items one item is hidden (the last added, or a seeded random one), the strategies
/// recommend for the rest, and the hidden item's rank gives HR@1, HR@3, NDCG@3 and MRR@10. Pure: orders and the
/// optional catalog arrive in memory.
/// </summary>
public static class OfflineEvaluation
{
    public const int ListSize = 3;
    public const int MrrDepth = 10;

    /// <summary>Orders sorted by time then id; the first (1 - TestFraction) are train, the rest test.</summary>
    public static (IReadOnlyList<EvalOrder> Train, IReadOnlyList<EvalOrder> Test) Split(IEnumerable<EvalOrder> orders, double testFraction)
    {
        var sorted = orders
            .Where(o => o.Lines.Count > 0)
            .OrderBy(o => o.Timestamp).ThenBy(o => o.OrderId, StringComparer.Ordinal)
            .ToList();
        var cut = (int)Math.Round(sorted.Count * (1 - testFraction), MidpointRounding.AwayFromZero);
        cut = Math.Clamp(cut, 0, sorted.Count);
        return (sorted.Take(cut).ToList(), sorted.Skip(cut).ToList());
    }

    /// <summary>The distinct skus of an order in line order (first occurrence).</summary>
    public static IReadOnlyList<string> DistinctSkus(EvalOrder order)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var line in order.Lines)
            if (!string.IsNullOrEmpty(line.Sku) && seen.Add(line.Sku)) result.Add(line.Sku);
        return result;
    }

    /// <summary>The item hidden from a test basket under a protocol; deterministic for an order id and a seed.</summary>
    public static string Hidden(EvalOrder order, HoldoutProtocol protocol, int seed)
    {
        var skus = DistinctSkus(order);
        if (protocol == HoldoutProtocol.LastAdded) return skus[^1];
        return skus[(int)(StableHash(order.OrderId, seed) % (ulong)skus.Count)];
    }

    /// <summary>FNV-1a over the order id and the seed: the same on every machine and run.</summary>
    public static ulong StableHash(string text, int seed)
    {
        var h = 14695981039346656037UL ^ (ulong)(uint)seed;
        foreach (var ch in text)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdUL;
        h ^= h >> 33;
        return h;
    }

    /// <param name="progress">Told each ranker and protocol as it starts (an evaluation of a year of orders takes half a minute).</param>
    public static EvaluationReport Run(IReadOnlyCollection<EvalOrder> orders, ICatalog? catalog, EvaluationOptions? options = null,
        IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new EvaluationOptions();
        options.Validate();
        var notes = new List<string>();
        var (train, test) = Split(orders, options.TestFraction);
        var hasCatalog = catalog is InMemoryCatalog { Count: > 0 } || (catalog is not null and not InMemoryCatalog);
        var effectiveCatalog = catalog ?? new InMemoryCatalog([]);

        var learner = new BasketLearner(options.Learning);
        Func<string, string?>? leafOf = hasCatalog ? sku => effectiveCatalog.Find(sku)?.LeafCategory : null;
        var lastPrice = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var similarBaskets = new SimilarBaskets(options.SimilarBaskets);
        foreach (var order in train)
        {
            var skus = DistinctSkus(order);
            learner.AddOrder(skus, order.Timestamp, leafOf);
            similarBaskets.Add(order.OrderId, skus);
            foreach (var line in order.Lines)
                if (line.UnitPrice > 0) lastPrice[line.Sku] = line.UnitPrice;
        }
        var evidence = learner.Compact();
        var popular = learner.Items()
            .OrderByDescending(i => i.Weight).ThenBy(i => i.Sku, StringComparer.Ordinal)
            .Select(i => i.Sku).Take(MrrDepth + 64).ToList();

        var catalogSize = catalog is InMemoryCatalog mem && mem.Count > 0 ? mem.Count : learner.Items().Count();
        if (!hasCatalog)
        {
            notes.Add("no catalog: substitute, variant, margin and price rules were skipped; price band share uses the last training price of each sku");
            notes.Add($"catalog coverage is over the {catalogSize} skus seen in training");
        }

        var testBaskets = test.Where(o => DistinctSkus(o).Count >= options.MinBasketItems).ToList();
        var configurations = new List<(string Label, string Kind, RecommendationOptions Options, Merchandising.MerchandisingRuleSet? Rules, bool UnderCartRules)>();
        configurations.InsertRange(0, Strategies.Baselines.Select(b => (b, b, Baselines.Options(b, options.Recommendation), (Merchandising.MerchandisingRuleSet?)null, false)));
        configurations.Add((Strategies.BasketAware, Strategies.BasketAware, options.Recommendation, null, false));
        if (options.Merchandising is { } basketRules)
            configurations.Add((Strategies.BasketAware + Strategies.WithRules, Strategies.BasketAware, options.Recommendation, basketRules, false));
        configurations.AddRange(options.Variants.Select(v => (v.Label, Strategies.BasketAware, v.Options, (Merchandising.MerchandisingRuleSet?)null, false)));
        if (options.Model is not null)
        {
            configurations.Add((Strategies.Learned, Strategies.Learned, options.Recommendation, null, false));
            if (options.Merchandising is { } learnedRules)
                configurations.Add((Strategies.Learned + Strategies.WithRules, Strategies.Learned, options.Recommendation, learnedRules, false));
            configurations.AddRange(options.LearnedVariants.Select(v => (v.Label, Strategies.Learned, v.Options, (Merchandising.MerchandisingRuleSet?)null, false)));
        }
        // With a catalog the rule-abiding rankers obey rules the baselines do not: the baselines once more, held to the
        // same rules, so the comparison under the same constraints stands beside the one against the widgets as they are.
        if (hasCatalog)
            configurations.AddRange(Strategies.Baselines.Select(b =>
                (b + Strategies.UnderCartRules, b, Baselines.Options(b, options.Recommendation), (Merchandising.MerchandisingRuleSet?)null, true)));
        var inputs = new RankingInputs(evidence, hasCatalog ? effectiveCatalog : null, learner.Clock, RankingInputs.BestSellersOf(learner.Items()))
        {
            SimilarBaskets = similarBaskets,
        };
        var recalls = new List<CandidateRecall>();
        var results = new List<StrategyResult>();
        var ineligible = new Dictionary<HoldoutProtocol, int>();
        foreach (var protocol in new[] { HoldoutProtocol.LastAdded, HoldoutProtocol.RandomItem })
        {
            var cases = new List<(EvalOrder Order, string Hidden, Basket Basket)>();
            foreach (var order in testBaskets)
            {
                var hidden = Hidden(order, protocol, options.Seed);
                var basket = new Basket(order.Lines
                    .Where(l => l.Sku != hidden)
                    .Select(l => new BasketLine { Sku = l.Sku, Quantity = Math.Max(1, l.Quantity), UnitPrice = l.UnitPrice, AddedAt = order.Timestamp }))
                {
                    Currency = options.CartCurrency,
                    Country = options.CartCountry,
                };
                if (options.Targets == HoldoutTargets.Eligible && hasCatalog && !Eligible(hidden, basket, effectiveCatalog, options.Recommendation))
                    continue;
                cases.Add((order, hidden, basket));
            }
            ineligible[protocol] = testBaskets.Count - cases.Count;
            var configuration = 0;
            // The baselines held to the cart rules, every case's ten-long list, computed for all four at the first of
            // their rows: each cart's candidate set (which the learned substitutes read) is then generated once.
            Dictionary<string, IReadOnlyList<string>[]>? heldToRules = null;
            foreach (var (label, kind, recOptions, rules, underCartRules) in configurations)
            {
                progress?.Report($"{EvaluationTable.ProtocolName(protocol)}: {label} ({++configuration} of {configurations.Count}) on {cases.Count} baskets");
                // The add-ons shown come from the engine as configured (top 3); MRR@10 from a ten-long list of the
                // same engine, so a longer list never changes the shown ones.
                var shownOptions = recOptions with { AllowUnknownItems = recOptions.AllowUnknownItems || !hasCatalog };
                var ranker = new AddOnRanker(shownOptions with { MaxAddOns = ListSize }, learner.Clock);
                var deepRanker = new AddOnRanker(shownOptions with { MaxAddOns = MrrDepth }, learner.Clock);
                var metrics = new MetricAccumulator(recOptions, effectiveCatalog, hasCatalog, lastPrice);
                LearnedAddOnRanker? learned = null, deepLearned = null;
                if (underCartRules) heldToRules ??= BaselinesUnderCartRules(cases, inputs, evidence, effectiveCatalog, popular, options, learner.Clock);
                if (kind == Strategies.Learned)
                {
                    learned = new LearnedAddOnRanker(options.Model!, shownOptions with { MaxAddOns = ListSize });
                    deepLearned = new LearnedAddOnRanker(options.Model!, shownOptions with { MaxAddOns = MrrDepth });
                }
                for (var i = 0; i < cases.Count; i++)
                {
                    var (order, hidden, basket) = cases[i];
                    cancellationToken.ThrowIfCancellationRequested();
                    IReadOnlyList<string> shown, deep;
                    switch (kind)
                    {
                        case Strategies.Popularity or Strategies.LastItem or Strategies.BasketCounts or Strategies.BasketCosine when underCartRules:
                            // Diversity and the cut keep a prefix: the three shown are the ten-long list's first three.
                            deep = heldToRules![kind][i];
                            shown = deep.Take(ListSize).ToList();
                            break;
                        case Strategies.Popularity or Strategies.LastItem or Strategies.BasketCounts or Strategies.BasketCosine:
                            shown = Baselines.Rank(kind, ranker, basket, effectiveCatalog, evidence, popular, order.Timestamp);
                            deep = Baselines.Rank(kind, deepRanker, basket, effectiveCatalog, evidence, popular, order.Timestamp);
                            break;
                        case Strategies.Learned:
                            shown = Skus(learned!.Rank(basket, inputs, order.Timestamp, rules));
                            deep = Skus(deepLearned!.Rank(basket, inputs, order.Timestamp, rules));
                            break;
                        default:
                            shown = Skus(ranker.Rank(basket, effectiveCatalog, evidence, order.Timestamp, rules));
                            deep = Skus(deepRanker.Rank(basket, effectiveCatalog, evidence, order.Timestamp, rules));
                            break;
                    }
                    metrics.Add(basket, shown, deep, hidden, HiddenValue(order, hidden));
                }
                results.Add(metrics.Result(label, protocol, catalogSize));
            }
            if (options.Model is not null) recalls.Add(Recall(protocol, cases.Select(c => (c.Basket, c.Hidden, c.Order.Timestamp)).ToList(), inputs, options));
        }
        return new EvaluationReport(orders.Count, train.Count, test.Count, testBaskets.Count, catalogSize, hasCatalog,
            test.Count > 0 ? test[0].Timestamp : DateTimeOffset.MinValue, results, notes)
        {
            IneligibleBaskets = ineligible,
            CandidateRecall = recalls,
            ModelVersion = options.Model?.Version,
        };
    }

    /// <summary>
    /// Every case's ten-long list of each baseline held to the cart rules (<see cref="Baselines.UnderCartRules"/>): the
    /// baseline ranks <see cref="Baselines.DepthUnderRules"/> deep, and the learned substitutes read the cart's candidate
    /// set, generated once per cart as the learned ranker's (its candidate settings; the defaults without a model).
    /// </summary>
    private static Dictionary<string, IReadOnlyList<string>[]> BaselinesUnderCartRules(
        IReadOnlyList<(EvalOrder Order, string Hidden, Basket Basket)> cases, RankingInputs inputs, IBasketEvidence evidence, ICatalog catalog,
        IReadOnlyList<string> popular, EvaluationOptions options, DecayClock clock)
    {
        var generator = options.Model is { } model ? new LearnedAddOnRanker(model, options.Recommendation).Candidates : new CandidateGenerator();
        var rankers = Strategies.Baselines.ToDictionary(b => b,
            b => new AddOnRanker(Baselines.Options(b, options.Recommendation) with { MaxAddOns = Baselines.DepthUnderRules }, clock));
        var lists = Strategies.Baselines.ToDictionary(b => b, _ => new IReadOnlyList<string>[cases.Count]);
        for (var i = 0; i < cases.Count; i++)
        {
            var (order, _, basket) = cases[i];
            var set = generator.Generate(basket, inputs, order.Timestamp);
            foreach (var b in Strategies.Baselines)
                lists[b][i] = Baselines.UnderCartRules(Baselines.Rank(b, rankers[b], basket, catalog, evidence, popular, order.Timestamp),
                    basket, catalog, set, evidence, options.Recommendation, MrrDepth, order.Timestamp);
        }
        return lists;
    }

    private static double HiddenValue(EvalOrder order, string hidden) =>
        (double)order.Lines.Where(l => l.Sku == hidden).Sum(l => l.UnitPrice * Math.Max(1, l.Quantity));

    /// <summary>Share of hidden items among the learned ranker's candidates, per source and in union.</summary>
    private static CandidateRecall Recall(HoldoutProtocol protocol, IReadOnlyList<(Basket Basket, string Hidden, DateTimeOffset At)> cases,
        RankingInputs inputs, EvaluationOptions options)
    {
        var generator = new LearnedAddOnRanker(options.Model!, options.Recommendation with { AllowUnknownItems = true }).Candidates;
        return Recall(protocol, cases.Select(c => (generator.Generate(c.Basket, inputs, c.At), c.Hidden)).ToList());
    }

    /// <summary>Share of hidden items among the candidates of their cart, per source and in union.</summary>
    public static CandidateRecall Recall(HoldoutProtocol protocol, IReadOnlyList<(CandidateSet Set, string Hidden)> cases)
    {
        var sources = Enum.GetValues<CandidateSource>().Where(s => s != CandidateSource.None).ToArray();
        var bySource = sources.ToDictionary(s => s, _ => 0);
        int union = 0;
        long candidates = 0;
        foreach (var (set, hidden) in cases)
        {
            candidates += set.Candidates.Count;
            if (set.Find(hidden) is not { } c) continue;
            union++;
            foreach (var s in sources)
                if ((c.Sources & s) != 0) bySource[s]++;
        }
        var n = Math.Max(1, cases.Count);
        return new CandidateRecall(protocol, cases.Count,
            bySource.ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => (double)kv.Value / n), (double)union / n, (double)candidates / n);
    }

    /// <summary>
    /// Whether the engine may show <paramref name="hidden"/> for <paramref name="basket"/> at all: it is not a
    /// substitute of a cart item and its price is below the cap. An ineligible hidden item is a miss for every
    /// rule-abiding strategy by design, so it measures the rules, not the ranking.
    /// </summary>
    public static bool Eligible(string hidden, Basket basket, ICatalog catalog, RecommendationOptions options)
    {
        var item = catalog.Find(hidden);
        if (item is null) return true;
        if (options.ExcludeSubstitutes && !string.IsNullOrEmpty(item.LeafCategory) && !options.MultiBuyCategories.Contains(item.LeafCategory)
            && basket.Lines.Any(l => catalog.Find(l.Sku)?.LeafCategory == item.LeafCategory))
            return false;
        return basket.Value <= 0 || item.Price <= 0 || (double)(item.Price / basket.Value) < options.MaxPriceShare;
    }

    private static List<string> Skus(AddOnList list) => list.AddOns.Select(a => a.Sku).ToList();

    private sealed class MetricAccumulator(
        RecommendationOptions options, ICatalog catalog, bool hasCatalog, IReadOnlyDictionary<string, decimal> lastPrice)
    {
        private int _baskets, _hit1, _hit3, _empty, _shown, _duplicates, _substitutes, _priced, _inBand;
        private double _ndcg, _mrr, _hitRevenue;
        private readonly HashSet<string> _covered = new(StringComparer.Ordinal);

        public void Add(Basket basket, IReadOnlyList<string> shown, IReadOnlyList<string> deep, string hidden, double hiddenValue)
        {
            _baskets++;
            var rank = -1;
            for (var i = 0; i < shown.Count && i < ListSize; i++)
                if (shown[i] == hidden) { rank = i + 1; break; }
            if (rank == 1) _hit1++;
            if (rank >= 1)
            {
                _hit3++;
                _ndcg += 1 / Math.Log2(rank + 1);
                _hitRevenue += hiddenValue;
            }
            var deepRank = -1;
            for (var i = 0; i < deep.Count && i < MrrDepth; i++)
                if (deep[i] == hidden) { deepRank = i + 1; break; }
            if (deepRank >= 1) _mrr += 1.0 / deepRank;

            if (shown.Count == 0) _empty++;
            var cartLeaves = hasCatalog
                ? basket.Lines.Select(l => catalog.Find(l.Sku)?.LeafCategory).Where(c => !string.IsNullOrEmpty(c)).ToHashSet(StringComparer.Ordinal)
                : [];
            foreach (var sku in shown)
            {
                _shown++;
                _covered.Add(sku);
                if (basket.Contains(sku)) _duplicates++;
                var item = catalog.Find(sku);
                if (item is not null && !string.IsNullOrEmpty(item.LeafCategory) && cartLeaves.Contains(item.LeafCategory)
                    && !options.MultiBuyCategories.Contains(item.LeafCategory))
                    _substitutes++;
                var price = item?.Price is > 0 ? item.Price : lastPrice.GetValueOrDefault(sku);
                if (price > 0 && basket.Value > 0)
                {
                    _priced++;
                    var share = (double)(price / basket.Value);
                    if (share >= options.PriceBandLow && share <= options.PriceBandHigh) _inBand++;
                }
            }
        }

        public StrategyResult Result(string label, HoldoutProtocol protocol, int catalogSize)
        {
            double Share(int n, int d) => d == 0 ? 0 : (double)n / d;
            return new StrategyResult(
                label, protocol, _baskets,
                Share(_hit1, _baskets), Share(_hit3, _baskets),
                _baskets == 0 ? 0 : _ndcg / _baskets, _baskets == 0 ? 0 : _mrr / _baskets,
                Share(_covered.Count, catalogSize),
                Share(_duplicates, _shown),
                hasCatalog ? Share(_substitutes, _shown) : null,
                _priced > 0 ? Share(_inBand, _priced) : null,
                Share(_shown, _baskets),
                Share(_empty, _baskets))
            {
                HitRevenuePerBasket = _baskets == 0 ? 0 : _hitRevenue / _baskets,
            };
        }
    }
}
