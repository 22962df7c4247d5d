using CartCrossSell.Contracts;

namespace CartCrossSell.Contracts.Tests;

/// <summary>C# instances of every contract, every optional member set, as the service would write them.</summary>
public static class Instances
{
    public static readonly DateTimeOffset At = new(2024, 3, 1, 10, 15, 30, 123, TimeSpan.Zero);

    public static CartEvent CartEvent(CartEventType type) => new()
    {
        EventId = "evt-" + type,
        Type = type,
        CartId = "cart-42",
        SessionId = "sess-7",
        VisitorId = "visitor-3",
        Sku = "85099",
        VariantId = "85099B",
        Attributes = new Dictionary<string, string> { ["colour"] = "red", ["size"] = "jumbo" },
        Quantity = type == CartEventType.QuantityChanged ? 0 : 2,
        UnitPrice = 1.95m,
        Currency = "EUR",
        Timestamp = At.ToOffset(TimeSpan.FromHours(1)),
        Source = EventSources.CrossSellWidget,
    };

    public static OrderCompleted OrderCompleted() => new()
    {
        EventId = HistoricalId,
        OrderId = "536365",
        CartId = "cart-42",
        SessionId = "sess-7",
        VisitorId = "17850",
        Currency = "GBP",
        Timestamp = At,
        Lines =
        [
            new OrderLine { Sku = "85123", VariantId = "85123A", Quantity = 6, UnitPrice = 2.55m, Source = EventSources.Storefront },
            new OrderLine { Sku = "71053", VariantId = "71053", Quantity = 1, UnitPrice = 0m, Source = EventSources.CrossSellWidget },
        ],
    };

    private const string HistoricalId = "f6fadabd-d11f-58dd-890e-73d7bf90d29c";

    public static ProductUpserted ProductUpserted() => new()
    {
        Sku = "85099",
        Title = "JUMBO BAG",
        CategoryPath = ["bags", "jumbo bag"],
        Price = 1.95m,
        Currency = "GBP",
        UnitCost = 0.95m,
        MarginRate = 0.4411,
        InStock = true,
        NeedsFitDecision = false,
        Variants =
        [
            new ProductVariant { VariantId = "85099B", Attributes = new Dictionary<string, string> { ["colour"] = "red" }, InStock = true, UnitsSold = 1200 },
            new ProductVariant { VariantId = "85099F", Attributes = new Dictionary<string, string> { ["design"] = "F" }, InStock = false, UnitsSold = 0 },
        ],
        Timestamp = At,
    };

    public static CartRecommendation CartRecommendation(string cohort = Cohorts.Treatment) => new()
    {
        CartId = "cart-42",
        Version = 1187,
        Cohort = cohort,
        ExperimentId = "xsell-2024-03",
        CartValue = 11.10m,
        Currency = "GBP",
        Strategy = "cooccurrence-v1",
        GeneratedAt = At.AddMilliseconds(289),
        EventTimestamp = At,
        AddOns = cohort == Cohorts.Holdout ? [] :
        [
            new RecommendedAddOn
            {
                Sku = "20725",
                VariantId = "20725",
                Title = "LUNCH BAG RED RETROSPOT",
                Price = 1.65m,
                Currency = "GBP",
                Score = 0.8125,
                Reason = "Often bought with JUMBO BAG",
                VariantReason = "only variant",
                AddToCart = new OneClickAdd { CartId = "cart-42", Sku = "20725", VariantId = "20725", Quantity = 2, Source = EventSources.CrossSellWidget },
            },
        ],
        WithheldAddOns = cohort == Cohorts.Holdout ? ["20725"] : null,
    };

    public static DeadLetter DeadLetter(string encoding = "utf8") => new()
    {
        Kind = DeadLetterKinds.Invalid,
        Reason = "lines[0].quantity must be positive, was -6",
        SourceTopic = Topics.OrderEvents,
        SourcePartition = 3,
        SourceOffset = 18211,
        SourceTimestamp = At,
        Key = "536365",
        Payload = encoding == "base64" ? Convert.ToBase64String([0xff, 0x0e, 0xfd, 0x00]) : """{"orderId":"536365"}""",
        PayloadEncoding = encoding,
        Processor = "cartxsell-basket-learner",
        DeadLetteredAt = At.AddSeconds(1),
    };

    public static NeighborRow NeighborRow() => new()
    {
        RowKey = "item:85099",
        Weight = 41.25,
        Neighbors = [new NeighborWeight("item:20725", 12.5), new NeighborWeight("category:lunch bag", 3.0)],
        UpdatedAt = At,
    };

    private static AovCohort Cohort(long sessions, decimal revenue) => new()
    {
        ExposedSessions = sessions, ConvertedSessions = sessions / 3, Orders = sessions / 3 + 1, Revenue = revenue, RevenueSquares = revenue * revenue / 2,
        CrossSellSessions = sessions / 10, CrossSellOrders = sessions / 10, CrossSellLines = sessions / 8, CrossSellRevenue = revenue / 20,
        AcceptedRevenue = revenue / 5, AcceptedRevenueSquares = revenue * revenue / 40,
        ConversionRate = 1.0 / 3, AovPerOrder = revenue / (sessions / 3 + 1), RevenuePerSession = revenue / sessions, RevenuePerSessionStdDev = 21.5,
        CrossSellAttachRate = 0.1, CrossSellRevenuePerSession = revenue / 20 / sessions,
        Engagement = new AovEngagement
        {
            Impressions = sessions * 2, ImpressedSessions = sessions / 2, WidgetAdds = sessions / 7, Clicks = sessions / 8, ImpressedSessionShare = 0.5,
            ClickThrough = 0.04,
            Positions = new[] { 1, 2, 3 }.Select(p => new AovPosition { Position = p, Impressions = sessions * 2 / p, Clicks = sessions / 8 / p, ClickThrough = 0.05 / p }).ToArray(),
            AddOns = [new AovAddOn { Sku = "22328", Impressions = sessions, Clicks = sessions / 20, OrderedLines = sessions / 25, Acceptance = 0.05 }],
            OtherAddOns = new AovAddOn { Sku = "(other)", Impressions = sessions / 2, Clicks = 3, OrderedLines = 1, Acceptance = 6.0 / sessions },
            OtherAddOnSkus = 14,
            Models = [new AovModel { ModelVersion = "rk-20260302", Impressions = sessions, AddOnsShown = sessions * 2, Clicks = sessions / 10, ClickThrough = 0.05 }],
            OtherModels = new AovModel { ModelVersion = "(other)", Impressions = sessions, AddOnsShown = sessions, Clicks = 0 },
            OtherModelVersions = 2,
        },
        Visitors = new AovVisitors
        {
            Visitors = sessions * 4 / 5, RevenueSquares = revenue * revenue / 2 + 1_000m, RevenueTimesSessions = revenue * 1.25m, SessionSquares = sessions * 3 / 2,
        },
    };

    public static AovAggregateRecord AovAggregate(bool defined = true) => new()
    {
        ExperimentId = "cart-xsell",
        Salt = "pepper",
        Window = defined ? AggregateWindow.Total : AggregateWindow.Hour,
        WindowStart = At,
        WindowEnd = At.AddHours(1),
        // An hour's cohort carries its visitor sums to date as well (the running total's own are to date).
        Treatment = defined ? Cohort(900, 23_850.25m) : Cohort(900, 23_850.25m) with
        {
            VisitorsToDate = new AovVisitors { Visitors = 2_410, RevenueSquares = 9_120_512.5m, RevenueTimesSessions = 81_004.75m, SessionSquares = 3_366 },
        },
        Holdout = defined ? Cohort(100, 2_410.10m) : new AovCohort
        {
            ExposedSessions = 0, ConvertedSessions = 0, Orders = 0, Revenue = 0, RevenueSquares = 0, CrossSellSessions = 0, CrossSellOrders = 0,
            CrossSellLines = 0, CrossSellRevenue = 0, AcceptedRevenue = 0, AcceptedRevenueSquares = 0,
        },
        Comparison = defined
            ? new AovComparison
            {
                ConfidenceLevel = 0.95, IncrementalRevenuePerSession = 2.40, IncrementalRevenuePerSessionCi = new AovInterval(-1.9, 6.7), LiftPercent = 9.96,
                LiftPercentCi = new AovInterval(-8.1, 28.0), StandardError = 2.19, DegreesOfFreedom = 131.4, TStatistic = 1.09, PValue = 0.277, Significant = false,
            }
            : new AovComparison { ConfidenceLevel = 0.95, Significant = false },
        Srm = new AovSampleRatio
        {
            TreatmentSessions = 900, HoldoutSessions = defined ? 100 : 0, ExpectedHoldoutShare = 0.1, ObservedHoldoutShare = defined ? 0.1 : 0,
            ChiSquare = defined ? 0 : 100, PValue = defined ? 1 : 1e-23, Threshold = 0.001, Mismatch = !defined,
            TreatmentVisitors = defined ? 720 : null, HoldoutVisitors = defined ? 80 : null,
        },
        Naive = new AovNaiveComparison
        {
            AcceptedSessions = 90, NotAcceptedSessions = 810, AcceptedRevenuePerSession = 52.98m, NotAcceptedRevenuePerSession = 23.56m,
            RevenuePerSessionDifference = 29.42m, AcceptedAovPerOrder = 79.1m, NotAcceptedAovPerOrder = 68.4m, AovPerOrderDifference = 10.7m,
            Biased = true, Label = "biased: compares self-selected acceptors with non-acceptors",
        },
        ComputedAt = At.AddHours(2),
    };

    public static CrossSellImpression CrossSellImpression() => new()
    {
        EventId = "imp-1", CartId = "cart-42", SessionId = "sess-7", VisitorId = "visitor-3", ValueVersion = 1187,
        Skus = ["20725", "22328", "85099B"], ModelVersion = "basket-aware", Timestamp = At,
    };

    /// <summary>Every contract with the instances to check against its schema.</summary>
    public static IEnumerable<(Contract Contract, string Case, object Value)> All()
    {
        foreach (var type in Enum.GetValues<CartEventType>()) yield return (Contracts.CartEvent, type.ToString(), CartEvent(type));
        yield return (Contracts.CartEvent, "minimal cartViewed",
            new CartEvent { EventId = "e", Type = CartEventType.CartViewed, CartId = "c", SessionId = "s", Timestamp = At });
        yield return (Contracts.OrderCompleted, "full", OrderCompleted());
        yield return (Contracts.OrderCompleted, "minimal",
            new OrderCompleted { EventId = "e", OrderId = "o", Timestamp = At, Lines = [new OrderLine { Sku = "s", Quantity = 1, UnitPrice = 1m }] });
        yield return (Contracts.ProductUpserted, "full", ProductUpserted());
        yield return (Contracts.ProductUpserted, "minimal",
            new ProductUpserted { Sku = "s", Title = "t", CategoryPath = ["c"], Price = 0m });
        yield return (Contracts.CartRecommendation, "treatment", CartRecommendation());
        yield return (Contracts.CartRecommendation, "holdout", CartRecommendation(Cohorts.Holdout));
        yield return (Contracts.DeadLetter, "utf8", DeadLetter());
        yield return (Contracts.DeadLetter, "base64", DeadLetter("base64"));
        yield return (Contracts.NeighborRow, "item", NeighborRow());
        yield return (Contracts.AovAggregate, "total", AovAggregate());
        yield return (Contracts.AovAggregate, "empty holdout, srm flagged", AovAggregate(defined: false));
        yield return (Contracts.MerchandisingRule, "block", new MerchandisingRuleRecord
        {
            Id = "no-candles", Kind = MerchandisingRuleKind.Block, Skus = ["1"], Categories = ["candles"], TitlePattern = "candle", Note = "n",
            ValidFrom = At, ValidTo = At.AddDays(7),
        });
        yield return (Contracts.MerchandisingRule, "pin", new MerchandisingRuleRecord
        {
            Id = "pin", Kind = MerchandisingRuleKind.Pin, Sku = "2", Reason = "r", Trigger = new MerchandisingTrigger { Skus = ["1"], Categories = ["mugs"] },
        });
        yield return (Contracts.MerchandisingRule, "boost", new MerchandisingRuleRecord { Id = "b", Kind = MerchandisingRuleKind.Boost, Categories = ["c"], Factor = 2 });
        yield return (Contracts.MerchandisingRule, "bury", new MerchandisingRuleRecord { Id = "b", Kind = MerchandisingRuleKind.Bury, Skus = ["1"], Factor = 0.01 });
        yield return (Contracts.MerchandisingRule, "markets", new MerchandisingRuleRecord { Id = "m", Kind = MerchandisingRuleKind.Markets, Skus = ["1"], Markets = ["GB", "EUR"] });
        yield return (Contracts.MerchandisingRule, "limits", new MerchandisingRuleRecord
        {
            Id = "l", Kind = MerchandisingRuleKind.Limits, MaxPrice = new Dictionary<string, decimal> { ["GBP"] = 25m },
        });
        yield return (Contracts.CrossSellImpression, "three add-ons", CrossSellImpression());
        yield return (Contracts.CrossSellImpression, "minimal",
            new CrossSellImpression { EventId = "e", CartId = "c", ValueVersion = 0, Skus = ["s"], ModelVersion = "m", Timestamp = At });
        yield return (Contracts.NeighborRow, "baskets", NeighborRow() with { RowKey = "baskets", Weight = 998, Neighbors = [] });
    }
}
