using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Engine.Ranking;
using CartCrossSell.Experiments;
using CartCrossSell.Streams;
using CartCrossSell.Streams.Processing;
using Microsoft.Extensions.Logging;
using Streamiz.Kafka.Net;
using Streamiz.Kafka.Net.SerDes;
using Streamiz.Kafka.Net.State;
using CartCrossSell.Topologies.Merchandising;
using CartCrossSell.Topologies.Outcomes;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// The cart recommender on Streamiz: <c>cart-events</c> (keyed by cart id) update the cart in the store <c>carts</c>
/// (RocksDB, changelogged, kept decoded between commits so a busy cart is decoded once and logged once per commit); after every event the engine ranks
/// add-ons for the whole basket against the replicated catalog and learned rows, and the value goes to Redis at once
/// with the cart's own event sequence as its version. The commit waits for those writes (<see cref="EffectBarrier"/>), so
/// offsets never pass a value that is not in Redis. A cart remembers the offset of the last event it applied, so an
/// event replayed after a crash is not applied twice (its value is written again and Redis refuses it as stale).
/// While the experiment is enabled, a cart whose visitor (or, without one, session) at the session's first cart view
/// (before that view: the event's own) hashes into the holdout gets
/// <c>cohort: holdout</c> and an empty list; what it would have shown is kept in <c>withheldAddOns</c>.
/// The merchandising rules (<see cref="IMerchandisingRules"/>, the replicated <c>merchandising-rules</c> table) are read
/// at every event, so a rule change shows at each cart's next event; a second sub-topology reads the same topic in the
/// group only to dead-letter rule records the table has to ignore.
/// </summary>
public static class CartRecommenderTopology
{
    /// <summary>
    /// Carts kept decoded per task between their events (the store holds every cart; a busy cart stays decoded). A cart
    /// with its remembered event ids is a few kilobytes decoded, so this bounds the cache near Streamiz's own record
    /// cache it replaced (16 MB per task by default), not at hundreds of megabytes.
    /// </summary>
    private const int LiveCarts = 5_000;

    /// <summary>The store that carries the Redis writes into the commit.</summary>
    public const string RedisWritesBarrier = "redis-writes";

    /// <summary>How a cart is encoded in the store <c>carts</c> and its changelog.</summary>
    public static readonly IValueCodec<CartState> CartCodec = new JsonContractCodec<CartState>(TopologiesJson.Default.CartState);

    /// <param name="models">The model in service (<c>ranking-models</c>); without it, or while it holds none, the heuristic ranks.</param>
    /// <param name="clock">The learner's decay clock (its <c>Learning</c> options); default: the default options.</param>
    /// <param name="recentBaskets">
    /// The newest orders' baskets, read from <c>order-events</c> where <paramref name="models"/> is given (default: a table
    /// with <see cref="RecommenderOptions.SimilarBaskets"/>); not read without models.
    /// </param>
    public static TopologyGroup Build(StreamsOptions streams, RecommenderOptions options, ICatalog catalog, IBasketEvidence evidence,
        ICartRecommendationSink sink, ExperimentOptions? experiment = null, ILoggerFactory? loggers = null, StreamsMetrics? metrics = null,
        ModelTable? models = null, DecayClock? clock = null, IMerchandisingRules? rules = null, RecentBasketsTable? recentBaskets = null)
    {
        rules ??= FixedMerchandisingRules.None;
        options.Validate();
        experiment ??= new ExperimentOptions();
        experiment.Validate();
        var config = experiment.Enabled ? experiment.Config : null;
        var learning = new LearningOptions();
        clock ??= new DecayClock(learning.HalfLife, learning.Landmark);
        // The similar baskets are read only where a learned model can serve; the heuristic does not read them.
        if (models is not null)
            recentBaskets ??= new RecentBasketsTable(options.SimilarBaskets, loggers ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        else recentBaskets = null;
        var ranking = new AddOnRanking(new AddOnRanker(options.Ranking, clock), models, rules, catalog, evidence, clock, recentBaskets?.Baskets);
        var runtime = ProcessorRuntime.For(TopologyNames.CartRecommender, streams, loggers, metrics: metrics);
        var builder = new StreamBuilder();
        builder.AddStateStore(EffectBarrier.Builder(RedisWritesBarrier, sink)); // connected to the processor below by name
        var cartEvents = builder.Stream(Topics.CartEvents, new StringSerDes(), new ByteArraySerDes(), "cart-events-source");
        KeylessRecords.DeadLetterKeyless(cartEvents, runtime, "cartId", TopologyNames.CartRecommender + "-keyless")
            .Transform(Processors.Supplier(() => new CartRecommender(runtime, options, ranking, catalog, sink, config, experiment.InactivityGap),
                    StateStores.DecodedKeyValue(TopologyNames.CartsStore, CartCodec, streams, LiveCarts)),
                TopologyNames.CartRecommender, RedisWritesBarrier)
            .ToRoutedTopics(TopologyNames.CartRecommender + "-sink");
        var validatorRuntime = ProcessorRuntime.For(TopologyNames.MerchandisingRuleValidator, streams, loggers, metrics: metrics);
        builder.Stream(Topics.MerchandisingRules, new StringSerDes(), new ByteArraySerDes(), "merchandising-rules-source")
            .Transform(Processors.Supplier(() => new MerchandisingRuleValidator(validatorRuntime)), TopologyNames.MerchandisingRuleValidator)
            .ToRoutedTopics(TopologyNames.MerchandisingRuleValidator + "-sink");
        var tables = Replicated.AddTo(builder, metrics, TopologyNames.Recommender, catalog, evidence, models, rules, recentBaskets);
        return new TopologyGroup(TopologyNames.Recommender, builder.Build(), [Topics.CartEvents, Topics.MerchandisingRules, .. tables], []);
    }

    /// <summary>
    /// The model in service when there is one (its version goes into the value), the heuristic otherwise; the current
    /// merchandising rules act inside either.
    /// </summary>
    private sealed class AddOnRanking(AddOnRanker heuristic, ModelTable? models, IMerchandisingRules rules, ICatalog catalog, IBasketEvidence evidence,
        DecayClock clock, SimilarBaskets? similarBaskets)
    {
        private readonly LearnedRankingInputs _inputs = new(evidence, catalog, clock, similarBaskets);

        public AddOnList Rank(Basket basket, DateTimeOffset now) => models?.Serving is { } learned
            ? learned.Rank(basket, _inputs.Current(), now, rules.Current)
            : heuristic.Rank(basket, catalog, evidence, now, rules.Current);
    }

    private sealed class CartRecommender(
        ProcessorRuntime runtime, RecommenderOptions options, AddOnRanking ranking, ICatalog catalog, ICartRecommendationSink writer,
        ExperimentConfig? experiment, TimeSpan inactivityGap)
        : RecordProcessor<CartEvent>(runtime, ContractCodecs.CartEvent)
    {
        private IKeyValueStore<string, CartState> _carts = null!;

        protected override void Init() => _carts = Store<IKeyValueStore<string, CartState>>(TopologyNames.CartsStore);

        protected override void Process(InputRecord<CartEvent> record)
        {
            var e = record.Value;
            // The key decides the partition, and the partition decides which task owns the cart: a cart event keyed by
            // anything but its cart id would be applied by a task that does not own the cart.
            if (!KeyedBy(record.Key, e.CartId, "cartId")) return;
            // A copy: the store's value must stay as it is if anything below throws.
            var stored = _carts.Get(e.CartId);
            var cart = stored?.Copy() ?? new CartState { CartId = e.CartId, SessionId = e.SessionId };
            var replay = cart.AppliedPartition == record.Coordinates.Partition && record.Coordinates.Offset <= cart.AppliedOffset;
            if (!replay)
            {
                if (cart.HasApplied(e.EventId)) return; // the same event sent twice: applied once, its value is in Redis
                if (!PlausibleTime(e.Timestamp, options.MaxEventAge)) return;
                if (cart.Lines.Count > 0 && !string.Equals(e.Currency, cart.Currency, StringComparison.Ordinal))
                {
                    DeadLetter(DeadLetterKinds.CurrencyMismatch, $"cart '{e.CartId}' is in {cart.Currency}, the event is in {e.Currency}");
                    return;
                }
                if (!Apply(cart, e)) return;
                cart.SessionId = e.SessionId;
                cart.Observe(e, inactivityGap);
                cart.Currency = e.Currency;
                cart.Country = e.Country ?? cart.Country;
                cart.UpdatedAt = e.Timestamp;
                cart.NextVersion(record.Coordinates.Offset);
                cart.AppliedPartition = record.Coordinates.Partition;
                cart.AppliedOffset = record.Coordinates.Offset;
                cart.Remember(e.EventId, options.DeduplicationWindow);
                if (!FitsItsRecord(cart, stored, e)) return;
            }
            else if (cart.AppliedOffset != record.Coordinates.Offset)
            {
                return; // an older event of this cart replayed after a crash: its value is superseded in Redis already
            }

            var ranked = ranking.Rank(cart.ToBasket(), e.Timestamp);
            // The holdout is computed like the treatment (for later analysis) and rendered as nothing.
            // From the session's exposure (its first cart view), as the analysis assigns it (docs/experiments.md).
            var (subjectVisitor, subjectSession) = cart.CohortSubject(e.VisitorId);
            var holdout = experiment?.Assign(subjectVisitor, subjectSession) == Cohort.Holdout;
            var value = new CartRecommendation
            {
                CartId = e.CartId,
                Version = cart.Sequence,
                Cohort = holdout ? Cohorts.Holdout : Cohorts.Treatment,
                ExperimentId = experiment?.ExperimentId,
                CartValue = cart.Value,
                Currency = cart.Currency,
                Strategy = ranked.Strategy,
                ModelVersion = ranked.ModelVersion,
                GeneratedAt = Clock.GetUtcNow(),
                EventTimestamp = e.Timestamp,
                WithheldAddOns = holdout ? ranked.AddOns.Select(a => a.Sku).ToArray() : null,
                AppliedRules = ranked.AppliedRules,
                AddOns = holdout ? [] : ranked.AddOns.Select(a => new RecommendedAddOn
                {
                    Sku = a.Sku,
                    VariantId = a.VariantId,
                    Title = a.Title,
                    Price = a.Price,
                    Currency = cart.Currency,
                    Score = Math.Round(a.Score, 6),
                    Reason = a.Reason,
                    VariantReason = a.VariantReason,
                    AddToCart = new OneClickAdd { CartId = e.CartId, Sku = a.Sku, VariantId = a.VariantId },
                }).ToArray(),
            };
            // State first, then the effect: if ranking threw, neither happened.
            if (!replay) _carts.Put(e.CartId, cart);
            writer.Enqueue(value);
        }

        /// <summary>
        /// False, and a <c>cart-too-large</c> dead letter, when the changed cart would take more than
        /// <c>Streams:MaxStateRecordBytes</c> in its state record and more than it took before: written, a record the
        /// changelog's producer refuses would stop the group at this event after every restart. Lines are bounded in
        /// number and their text in length, but two hundred lines of long variant ids and attributes still outgrow the
        /// producer. A change that does not grow the cart passes, so a cart written under a larger budget can still be
        /// emptied. Exact only when the cheap bound says the cart may be too large (a shopper's cart never is).
        /// </summary>
        private bool FitsItsRecord(CartState cart, CartState? stored, CartEvent e)
        {
            if (cart.EncodedBytesAtMost() <= MaxStateBytes) return true;
            var bytes = CartCodec.Encode(cart).Length;
            if (bytes <= MaxStateBytes || (stored is not null && bytes <= CartCodec.Encode(stored).Length)) return true;
            DeadLetter(DeadLetterKinds.CartTooLarge,
                $"cart '{e.CartId}' would take {bytes} bytes in its state record, more than Streams:MaxStateRecordBytes ({MaxStateBytes})");
            return false;
        }

        /// <summary>Applies the event to the cart; false (and a dead letter) when the event cannot apply.</summary>
        private bool Apply(CartState cart, CartEvent e)
        {
            switch (e.Type)
            {
                case CartEventType.ItemAdded:
                    if (catalog.Find(e.Sku!) is null)
                    {
                        DeadLetter(DeadLetterKinds.UnknownSku, $"sku '{e.Sku}' is not in the catalog");
                        return false;
                    }
                    var line = cart.Lines.FirstOrDefault(l => l.Sku == e.Sku && l.VariantId == e.VariantId);
                    if (line is null)
                    {
                        if (cart.Lines.Count >= options.MaxCartLines)
                        {
                            DeadLetter(DeadLetterKinds.CartTooLarge, $"cart '{e.CartId}' already has {cart.Lines.Count} lines (limit {options.MaxCartLines})");
                            return false;
                        }
                        cart.Lines.Add(new CartLine
                        {
                            Sku = e.Sku!, VariantId = e.VariantId,
                            Attributes = e.Attributes is null ? null : new Dictionary<string, string>(e.Attributes),
                            Quantity = e.Quantity!.Value, UnitPrice = e.UnitPrice!.Value, AddedAt = e.Timestamp, Source = e.Source,
                        });
                    }
                    else
                    {
                        line.Quantity = Math.Min(line.Quantity + e.Quantity!.Value, ContractValidation.MaxQuantity);
                        line.UnitPrice = e.UnitPrice!.Value;
                    }
                    return true;
                case CartEventType.QuantityChanged:
                    var lines = cart.Lines.Where(l => l.Sku == e.Sku && (e.VariantId is null || l.VariantId == e.VariantId)).ToArray();
                    if (e.Quantity == 0) cart.Lines.RemoveAll(lines.Contains);
                    else foreach (var l in lines) l.Quantity = e.Quantity!.Value;
                    return true;
                case CartEventType.ItemRemoved:
                    cart.Lines.RemoveAll(l => l.Sku == e.Sku && (e.VariantId is null || l.VariantId == e.VariantId));
                    return true;
                case CartEventType.CartCleared:
                    cart.Lines.Clear();
                    return true;
                case CartEventType.CartViewed:
                    return true; // nothing changes; recomputing refreshes the value with what was learned since
                default:
                    return false;
            }
        }
    }
}
