using CartCrossSell.Engine.Evaluation;

namespace CartCrossSell.Engine.Ranking;

/// <summary>How the self-supervised training tasks are drawn from orders.</summary>
public sealed record RankingTrainingOptions
{
    /// <summary>The newest share of the training orders (by time) is the validation slice. Default 0.15.</summary>
    public double ValidationFraction { get; init; } = 0.15;

    /// <summary>The oldest share of the fit orders is only learned, never a task (the evidence warms up). Default 0.2.</summary>
    public double WarmupFraction { get; init; } = 0.2;

    /// <summary>At most this many fit orders (a seeded sample; each gives a task per protocol). Default 4000.</summary>
    public int MaxFitTasks { get; init; } = 4000;

    /// <summary>
    /// At most this many validation baskets (each under both protocols). Default 3000: every basket of the slice of a
    /// 20,000-order sample, so the task mix, the threshold and the promotion are judged on as many carts as the data
    /// holds (1,000 baskets left their noise the size of the differences they chose between).
    /// </summary>
    public int MaxValidationBaskets { get; init; } = 3000;

    /// <summary>Negatives kept per fit task: the most highly ranked by any source, plus a seeded random draw of the rest.</summary>
    public int HardNegatives { get; init; } = 30;
    public int RandomNegatives { get; init; } = 60;

    /// <summary>
    /// Fit tasks read a compact snapshot of the evidence taken at most this many orders before them (always before
    /// their own order). Default 500, or a fortieth of the orders when that is fewer; further apart when that would take
    /// more than <see cref="MaxSnapshots"/>.
    /// </summary>
    public int SnapshotEvery { get; init; } = 500;

    /// <summary>
    /// At most this many snapshots over the orders fit tasks are drawn from. Each is a copy of every learned row, so a
    /// fixed spacing made the cost grow with the store: 120,000 orders of 20,000 skus spent 147 s drawing tasks, most of
    /// it copying rows. Spacing them by the number of orders instead keeps each task's counts as recent, relative to
    /// the history before it, as a smaller store's. Default 40 (the development set's 19,771 orders and Groceries keep
    /// their spacing of 500 or less).
    /// </summary>
    public int MaxSnapshots { get; init; } = 40;

    /// <summary>Fit tasks need this many distinct items (one is hidden, the rest is the cart). Default 2.</summary>
    public int MinFitBasketItems { get; init; } = 2;

    /// <summary>Validation baskets need this many distinct items, as the offline evaluation's test baskets. Default 3.</summary>
    public int MinValidationBasketItems { get; init; } = 3;

    public int Seed { get; init; } = 7;

    /// <summary>
    /// The past baskets the similar-baskets source reads (as the recommender that serves the model holds them). Fit
    /// tasks read the baskets of the orders before their own, validation those before the slice.
    /// </summary>
    public SimilarBasketsOptions SimilarBaskets { get; init; } = new();

    public void Validate()
    {
        if (ValidationFraction is not (> 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "must be in (0, 1)");
        if (WarmupFraction is not (>= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(WarmupFraction), WarmupFraction, "must be in [0, 1)");
        if (MaxFitTasks < 1) throw new ArgumentOutOfRangeException(nameof(MaxFitTasks), MaxFitTasks, "must be positive");
        if (MaxValidationBaskets < 1) throw new ArgumentOutOfRangeException(nameof(MaxValidationBaskets), MaxValidationBaskets, "must be positive");
        if (HardNegatives < 0) throw new ArgumentOutOfRangeException(nameof(HardNegatives), HardNegatives, "must not be negative");
        if (RandomNegatives < 0) throw new ArgumentOutOfRangeException(nameof(RandomNegatives), RandomNegatives, "must not be negative");
        if (SnapshotEvery < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), "must be positive");
        if (MaxSnapshots < 1) throw new ArgumentOutOfRangeException(nameof(MaxSnapshots), "must be positive");
        if (MinFitBasketItems < 2 || MinValidationBasketItems < 2) throw new ArgumentOutOfRangeException(nameof(MinFitBasketItems), "a task needs at least two items");
        SimilarBaskets.Validate();
    }
}

/// <summary>Feature rows with labels, grouped by task (one cart with one hidden item).</summary>
public sealed class ExampleSet
{
    private readonly List<float> _features = [];
    private readonly List<bool> _labels = [];
    private readonly List<int> _groups = [];
    private readonly List<HoldoutProtocol> _groupProtocols = [];
    private readonly List<int> _groupStarts = [];

    public int Count => _labels.Count;
    public int Groups { get; private set; }
    public IReadOnlyList<float> Features => _features;
    public IReadOnlyList<bool> Labels => _labels;
    public IReadOnlyList<int> Group => _groups;

    /// <summary>The protocol that hid the item of each group (task).</summary>
    public IReadOnlyList<HoldoutProtocol> GroupProtocol => _groupProtocols;

    /// <summary>First row of each group.</summary>
    public IReadOnlyList<int> GroupStart => _groupStarts;

    public ReadOnlySpan<float> Rows(int start, int count) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_features).Slice(start * RankingFeatures.Count, count * RankingFeatures.Count);

    public ReadOnlySpan<float> Row(int i) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_features).Slice(i * RankingFeatures.Count, RankingFeatures.Count);

    internal void AddGroup(float[] features, IReadOnlyList<int> rows, Func<int, bool> label, HoldoutProtocol protocol)
    {
        _groupProtocols.Add(protocol);
        _groupStarts.Add(_labels.Count);
        foreach (var r in rows)
        {
            _features.AddRange(features.AsSpan(r * RankingFeatures.Count, RankingFeatures.Count));
            _labels.Add(label(r));
            _groups.Add(Groups);
        }
        Groups++;
    }
}

/// <summary>A validation basket: the cart without the hidden item, the hidden item, and when it was ordered.</summary>
public sealed record RankingCase(string OrderId, Basket Basket, string Hidden, DateTimeOffset At, HoldoutProtocol Protocol);

/// <summary>
/// The self-supervised training data of the ranker, drawn from orders without leakage:
/// <list type="bullet">
/// <item><b>Fit tasks</b> walk the older orders in time order (prequential): each sampled order is first a task, its
/// features read from the evidence of the orders <i>before</i> it, and only then learned. The hidden item's counts
/// therefore never include its own order (the tempting "all orders minus this one" shortcut makes the hidden item's
/// counts exactly one lower than any other candidate's, which a model learns and which never holds when serving).
/// Every sampled order gives two tasks, one hiding the last-added item and one a random item; the trainer chooses on
/// validation which of them (or both, 1:1) a model is fitted on.</item>
/// <item><b>Validation</b> reads a frozen snapshot of everything learned before the validation slice, exactly as the
/// offline test reads the training orders: calibration, the show threshold and the model's promotion are chosen
/// there, never on a test slice.</item>
/// </list>
/// Pure: orders and catalog in memory, seeded sampling.
/// </summary>
public sealed class RankingTrainingData
{
    private RankingTrainingData(ExampleSet fit, ExampleSet validation, IReadOnlyList<RankingCase> cases, RankingInputs validationInputs,
        int fitTasks, int fitTasksReachable, DateTimeOffset validationFrom)
    {
        Fit = fit;
        Validation = validation;
        ValidationCases = cases;
        ValidationInputs = validationInputs;
        FitTasks = fitTasks;
        FitTasksReachable = fitTasksReachable;
        ValidationFrom = validationFrom;
    }

    /// <summary>Fit rows: per task the positive (when the candidates hold it) and the sampled negatives.</summary>
    public ExampleSet Fit { get; }

    /// <summary>Validation rows: every candidate of every validation case (for calibration).</summary>
    public ExampleSet Validation { get; }

    public IReadOnlyList<RankingCase> ValidationCases { get; }

    /// <summary>The candidates of each validation case (its rows in <see cref="Validation"/> are group i).</summary>
    public IReadOnlyList<CandidateSet> ValidationSets { get; private init; } = [];

    /// <summary>The snapshot the validation cases are ranked against.</summary>
    public RankingInputs ValidationInputs { get; }

    /// <summary>Snapshots the fit tasks read (at most <see cref="RankingTrainingOptions.MaxSnapshots"/>).</summary>
    public int FitSnapshots { get; private init; }

    public int FitTasks { get; }

    /// <summary>Fit tasks whose hidden item was among the candidates.</summary>
    public int FitTasksReachable { get; }

    public DateTimeOffset ValidationFrom { get; }

    public static RankingTrainingData Build(IEnumerable<EvalOrder> orders, ICatalog? catalog, LearningOptions learning,
        CandidateGenerator generator, RankingTrainingOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RankingTrainingOptions();
        options.Validate();
        var sorted = orders.Where(o => o.Lines.Count > 0)
            .OrderBy(o => o.Timestamp).ThenBy(o => o.OrderId, StringComparer.Ordinal).ToList();
        var validationStart = (int)Math.Round(sorted.Count * (1 - options.ValidationFraction), MidpointRounding.AwayFromZero);
        var warmup = (int)Math.Round(validationStart * options.WarmupFraction, MidpointRounding.AwayFromZero);
        var learner = new BasketLearner(learning);
        var similarBaskets = new SimilarBaskets(options.SimilarBaskets);
        Func<string, string?>? leafOf = catalog is null ? null : sku => catalog.Find(sku)?.LeafCategory;

        var eligibleFit = 0;
        for (var i = warmup; i < validationStart; i++)
            if (OfflineEvaluation.DistinctSkus(sorted[i]).Count >= options.MinFitBasketItems) eligibleFit++;
        var sampleRate = eligibleFit == 0 ? 0 : Math.Min(1.0, (double)options.MaxFitTasks / eligibleFit);

        var fit = new ExampleSet();
        int tasks = 0, reachable = 0;
        // Reading a snapshot is much faster than reading rows that change with every order, and it is never newer
        // than the task's order, so the walk stays free of leakage.
        var snapshotEvery = Math.Max(Math.Max(1, Math.Min(options.SnapshotEvery, sorted.Count / 40)),
            (validationStart - warmup + options.MaxSnapshots - 1) / options.MaxSnapshots);
        RankingInputs? inputs = null;
        var sinceSnapshot = 0;
        var snapshots = 0;
        for (var i = 0; i < validationStart; i++)
        {
            if ((i & 255) == 0) cancellationToken.ThrowIfCancellationRequested();
            var order = sorted[i];
            var skus = OfflineEvaluation.DistinctSkus(order);
            if (i >= warmup && skus.Count >= options.MinFitBasketItems && Draw(order.OrderId, options.Seed) < sampleRate)
            {
                if (inputs is null || sinceSnapshot >= snapshotEvery)
                {
                    // The baskets are read as they stand (the orders before this one), not as of the snapshot: the index
                    // is cheap to read as it grows, and the recommender reads it up to date too.
                    inputs = new RankingInputs(learner.Compact(), catalog, learner.Clock, RankingInputs.BestSellersOf(learner.Items()))
                    {
                        SimilarBaskets = similarBaskets,
                    };
                    sinceSnapshot = 0;
                    snapshots++;
                }
                // One task per protocol: the trainer fits on either or both without walking the orders again.
                foreach (var protocol in new[] { HoldoutProtocol.LastAdded, HoldoutProtocol.RandomItem })
                {
                    var hidden = OfflineEvaluation.Hidden(order, protocol, options.Seed);
                    var set = generator.Generate(BasketWithout(order, hidden), inputs, order.Timestamp);
                    tasks++;
                    var features = RankingFeatures.Extract(set, catalog);
                    var rows = SampleRows(set, hidden, order.OrderId, options, out var hasPositive);
                    if (hasPositive) reachable++;
                    if (rows.Count > 0) fit.AddGroup(features, rows, r => set.Candidates[r].Sku == hidden, protocol);
                }
            }
            learner.AddOrder(skus, order.Timestamp, leafOf);
            similarBaskets.Add(order.OrderId, skus);
            sinceSnapshot++;
        }

        var snapshot = learner.Compact();
        var validationInputs = new RankingInputs(snapshot, catalog, learner.Clock, RankingInputs.BestSellersOf(learner.Items()))
        {
            SimilarBaskets = similarBaskets,
        };
        var validationOrders = sorted.Skip(validationStart)
            .Where(o => OfflineEvaluation.DistinctSkus(o).Count >= options.MinValidationBasketItems)
            .ToList();
        if (validationOrders.Count > options.MaxValidationBaskets)
            validationOrders = validationOrders
                .OrderBy(o => OfflineEvaluation.StableHash(o.OrderId, options.Seed + 2)).Take(options.MaxValidationBaskets)
                .OrderBy(o => o.Timestamp).ThenBy(o => o.OrderId, StringComparer.Ordinal).ToList();
        var validation = new ExampleSet();
        var cases = new List<RankingCase>();
        var sets = new List<CandidateSet>();
        foreach (var order in validationOrders)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var protocol in new[] { HoldoutProtocol.LastAdded, HoldoutProtocol.RandomItem })
            {
                var hidden = OfflineEvaluation.Hidden(order, protocol, options.Seed);
                var basket = BasketWithout(order, hidden);
                cases.Add(new RankingCase(order.OrderId, basket, hidden, order.Timestamp, protocol));
                var set = generator.Generate(basket, validationInputs, order.Timestamp);
                sets.Add(set);
                var features = RankingFeatures.Extract(set, catalog);
                validation.AddGroup(features, Enumerable.Range(0, set.Candidates.Count).ToArray(), r => set.Candidates[r].Sku == hidden,
                    protocol);
            }
        }
        return new RankingTrainingData(fit, validation, cases, validationInputs, tasks, reachable,
            validationStart < sorted.Count ? sorted[validationStart].Timestamp : DateTimeOffset.MaxValue)
        {
            ValidationSets = sets,
            FitSnapshots = snapshots,
        };
    }

    /// <summary>An order's lines without the hidden item, in line order, as a cart.</summary>
    public static Basket BasketWithout(EvalOrder order, string hidden) =>
        new(order.Lines.Where(l => l.Sku != hidden).Select(l => new BasketLine
        {
            Sku = l.Sku, Quantity = Math.Max(1, l.Quantity), UnitPrice = l.UnitPrice, AddedAt = order.Timestamp,
        }));

    private static double Draw(string id, int seed) => (OfflineEvaluation.StableHash(id, seed) >> 11) / (double)(1UL << 53);

    /// <summary>The positive, the hardest negatives (best rank in any source) and a seeded random draw of the rest.</summary>
    private static List<int> SampleRows(CandidateSet set, string hidden, string orderId, RankingTrainingOptions options, out bool hasPositive)
    {
        var n = set.Candidates.Count;
        var byRank = Enumerable.Range(0, n)
            .Where(i => set.Candidates[i].Sku != hidden)
            .OrderBy(i => BestRank(set.Candidates[i])).ThenBy(i => set.Candidates[i].Sku, StringComparer.Ordinal)
            .ToList();
        var rows = new List<int>(options.HardNegatives + options.RandomNegatives + 1);
        var positive = -1;
        for (var i = 0; i < n; i++)
            if (set.Candidates[i].Sku == hidden) positive = i;
        hasPositive = positive >= 0;
        if (hasPositive) rows.Add(positive);
        rows.AddRange(byRank.Take(options.HardNegatives));
        var rest = byRank.Skip(options.HardNegatives).ToList();
        var random = new Random((int)(OfflineEvaluation.StableHash(orderId, options.Seed + 3) & int.MaxValue));
        for (var k = 0; k < options.RandomNegatives && rest.Count > 0; k++)
        {
            var j = random.Next(rest.Count);
            rows.Add(rest[j]);
            rest[j] = rest[^1];
            rest.RemoveAt(rest.Count - 1);
        }
        return rows;
    }

    private static int BestRank(CandidateEvidence c)
    {
        var best = int.MaxValue;
        foreach (var r in new[] { c.RankBasket, c.RankLastItems, c.RankSequence, c.RankCategory, c.BestSellerRank, c.RankSimilar })
            if (r > 0 && r < best) best = r;
        return best;
    }
}
