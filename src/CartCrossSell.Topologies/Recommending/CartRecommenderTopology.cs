using CartCrossSell.Contracts;
using CartCrossSell.Engine;
using CartCrossSell.Experiments;
using CartCrossSell.Redis;
using CartCrossSell.Streams;
using CartCrossSell.Topologies.Outcomes;

namespace CartCrossSell.Topologies.Recommending;

/// <summary>
/// The cart recommender: <c>cart-events</c> (keyed by cart id) update the cart in the changelogged store
/// <c>carts</c>; after every event the engine ranks add-ons for the whole basket against the replicated catalog and
/// learned rows, and the value is buffered for Redis with the event's offset as its version.
/// While the experiment is enabled, a cart whose visitor (or, without one, session) hashes into the holdout gets
/// <c>cohort: holdout</c> and an empty list; what it would have shown is kept in <c>withheldAddOns</c>.
/// </summary>
public static class CartRecommenderTopology
{
    public static Topology<CartEvent> Build(RecommenderOptions options, ICatalog catalog, IBasketEvidence evidence, RecommendationWriter writer,
        ExperimentOptions? experiment = null) =>
        Build(options, catalog, evidence, new RedisRecommendationSink(writer), experiment);

    public static Topology<CartEvent> Build(RecommenderOptions options, ICatalog catalog, IBasketEvidence evidence, ICartRecommendationSink sink,
        ExperimentOptions? experiment = null)
    {
        options.Validate();
        experiment ??= new ExperimentOptions();
        experiment.Validate();
        var config = experiment.Enabled ? experiment.Config : null;
        var ranker = new AddOnRanker(options.Ranking);
        return new TopologyBuilder<CartEvent>(TopologyNames.CartRecommender, Topics.CartEvents, ContractCodecs.CartEvent)
            .WithStore(StoreSpec.KeyValue(TopologyNames.CartsStore, new JsonContractCodec<CartState>(TopologiesJson.Default.CartState)))
            .WithEffectSink(sink)
            .WithProcessor(_ => new CartRecommender(options, ranker, catalog, evidence, sink, config))
            .Build();
    }

    private sealed class RedisRecommendationSink(RecommendationWriter writer) : ICartRecommendationSink
    {
        public string Name => "redis";
        public void Enqueue(CartRecommendation value) => writer.Enqueue(value);
        public Task FlushAsync(CancellationToken cancellationToken = default) => writer.FlushAsync(cancellationToken);
    }

    private sealed class CartRecommender(
        RecommenderOptions options, AddOnRanker ranker, ICatalog catalog, IBasketEvidence evidence, ICartRecommendationSink writer,
        ExperimentConfig? experiment)
        : IProcessor<CartEvent>
    {
        private IProcessorContext _context = null!;
        private IKeyValueStore<CartState> _carts = null!;

        public void Init(IProcessorContext context)
        {
            _context = context;
            _carts = context.GetStore<CartState>(TopologyNames.CartsStore);
        }

        public void Process(InputRecord<CartEvent> record)
        {
            var e = record.Value;
            var cart = _carts.Get(e.CartId) ?? new CartState { CartId = e.CartId, SessionId = e.SessionId };
            if (!Apply(cart, e)) return;
            cart.SessionId = e.SessionId;
            cart.VisitorId = e.VisitorId ?? cart.VisitorId;
            cart.Currency = e.Currency;
            cart.UpdatedAt = e.Timestamp;
            _carts.Put(e.CartId, cart);

            var ranked = ranker.Rank(cart.ToBasket(), catalog, evidence, e.Timestamp);
            // The holdout is computed like the treatment (for later analysis) and rendered as nothing.
            var holdout = experiment?.Assign(cart.VisitorId, cart.SessionId) == Cohort.Holdout;
            writer.Enqueue(new CartRecommendation
            {
                CartId = e.CartId,
                Version = record.Coordinates.Offset,
                Cohort = holdout ? Cohorts.Holdout : Cohorts.Treatment,
                ExperimentId = experiment?.ExperimentId,
                CartValue = cart.Value,
                Currency = cart.Currency,
                Strategy = ranked.Strategy,
                GeneratedAt = _context.Clock.GetUtcNow(),
                EventTimestamp = e.Timestamp,
                WithheldAddOns = holdout ? ranked.AddOns.Select(a => a.Sku).ToArray() : null,
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
            });
        }

        /// <summary>Applies the event to the cart; false (and a dead letter) when the event cannot apply.</summary>
        private bool Apply(CartState cart, CartEvent e)
        {
            switch (e.Type)
            {
                case CartEventType.ItemAdded:
                    if (catalog.Find(e.Sku!) is null)
                    {
                        _context.DeadLetter(DeadLetterKinds.UnknownSku, $"sku '{e.Sku}' is not in the catalog");
                        return false;
                    }
                    var line = cart.Lines.FirstOrDefault(l => l.Sku == e.Sku && l.VariantId == e.VariantId);
                    if (line is null)
                    {
                        if (cart.Lines.Count >= options.MaxCartLines)
                        {
                            _context.DeadLetter(DeadLetterKinds.CartTooLarge, $"cart '{e.CartId}' already has {cart.Lines.Count} lines (limit {options.MaxCartLines})");
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
