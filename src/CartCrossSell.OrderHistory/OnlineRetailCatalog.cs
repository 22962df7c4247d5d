using System.Globalization;
using System.Text;
using CartCrossSell.Contracts;

namespace CartCrossSell.OrderHistory;

/// <summary>
/// Derives a catalog from Online Retail orders, deterministically (the same orders always give the same records).
/// The data set has no categories, margins, stock flags or variants; the rules that make them up are documented
/// in docs/data.md:
/// <list type="bullet">
/// <item>title: a single-variant product's most frequent description; for a multi-variant product, the words every
/// variant's description shares (at least two), else the first variant's description without colour words;</item>
/// <item>price: the median unit price of the product's order lines;</item>
/// <item>category path: [group, leaf], the leaf a product type found in the description by <see cref="LeafCategoryOf"/>,
/// the group from the leaf by <see cref="GroupOf"/>;</item>
/// <item>margin rate: SYNTHETIC, 0.25 to 0.65 from an FNV-1a hash of the sku (the data has no costs);</item>
/// <item>in stock, no fit decision; one variant per stock code with a colour or design attribute and its units sold.</item>
/// </list>
/// </summary>
public static class OnlineRetailCatalog
{
    public const double MinMarginRate = 0.25;
    public const double MaxMarginRate = 0.65;
    public const string DefaultGroup = "gifts";
    /// <summary>The leaf of a description without a single letter.</summary>
    public const string UnknownLeaf = "other";

    /// <summary>
    /// The product types recognised in descriptions: phrase (upper case, matched as whole words) to leaf category.
    /// The longest matching phrase wins; on equal length the earlier entry.
    /// </summary>
    public static readonly IReadOnlyList<(string Phrase, string Leaf)> ProductTypes =
    [
        ("T-LIGHT HOLDER", "t-light holder"), ("TEA LIGHT HOLDER", "t-light holder"), ("TLIGHT HOLDER", "t-light holder"),
        ("CANDLE HOLDER", "candle holder"), ("CANDLESTICK", "candle holder"),
        ("T-LIGHTS", "t-lights"), ("TEA LIGHTS", "t-lights"),
        ("CANDLE", "candle"), ("CANDLES", "candle"),
        ("LANTERN", "lantern"),
        ("LUNCH BAG", "lunch bag"), ("JUMBO BAG", "jumbo bag"), ("JUMBO SHOPPER", "jumbo bag"), ("JUMBO STORAGE BAG", "jumbo bag"),
        ("CHARLOTTE BAG", "charlotte bag"), ("TOTE BAG", "tote bag"), ("SHOPPER", "tote bag"),
        ("GIFT BAG", "gift bag"), ("PARTY BAGS", "gift bag"), ("WASHBAG", "washbag"), ("PURSE", "purse"),
        ("LUGGAGE TAG", "luggage tag"), ("BAG", "bag"),
        ("MUG", "mug"), ("CUP AND SAUCER", "cup and saucer"), ("TEACUP", "cup and saucer"),
        ("LUNCH BOX", "lunch box"), ("CAKE STAND", "cake stand"), ("CAKE CASES", "cake cases"),
        ("BAKING MOULD", "baking mould"), ("BAKING SET", "baking mould"),
        ("BOWL", "bowl"), ("DISH", "dish"), ("TIN", "tin"), ("TINS", "tin"), ("PLATE", "plate"), ("PLATES", "plate"), ("TRAY", "tray"),
        ("TEA TOWEL", "tea towel"), ("TEA TOWELS", "tea towel"), ("APRON", "apron"),
        ("JAR", "jar"), ("JUG", "jug"), ("CUTLERY", "cutlery"), ("TEASPOONS", "cutlery"),
        ("COASTER", "coaster"), ("COASTERS", "coaster"), ("PLACEMATS", "placemats"), ("FOOD COVER", "food cover"),
        ("BOTTLE", "bottle"), ("HOT WATER BOTTLE", "hot water bottle"),
        ("NAPKINS", "napkins"), ("NAPKIN", "napkins"), ("BUNTING", "bunting"), ("GARLAND", "garland"),
        ("BALLOONS", "balloons"), ("PARTY INVITES", "party invites"), ("PAPER CHAIN KIT", "paper chain kit"),
        ("DOILIES", "doilies"),
        ("CARD", "card"), ("CARDS", "card"), ("GREETING CARD", "card"), ("BIRTHDAY CARD", "card"),
        ("CHRISTMAS CARD", "christmas card"), ("CHRISTMAS CARDS", "christmas card"),
        ("CARD HOLDER", "card holder"),
        ("WRAP", "wrap"), ("GIFT WRAP", "wrap"), ("WRAPPING PAPER", "wrap"),
        ("STICKERS", "stickers"), ("STICKER SHEET", "stickers"),
        ("NOTEBOOK", "notebook"), ("JOURNAL", "notebook"), ("SKETCHBOOK", "notebook"),
        ("PEN", "pen"), ("PENCILS", "pencils"), ("TAPE", "tape"),
        ("RIBBONS", "ribbons"), ("RIBBON REEL", "ribbons"), ("GIFT TAGS", "gift tags"),
        ("CUSHION COVER", "cushion cover"), ("SIGN", "sign"), ("DOORSIGN", "sign"), ("DOORMAT", "doormat"),
        ("CLOCK", "clock"), ("PHOTO FRAME", "photo frame"), ("FRAME", "photo frame"), ("MIRROR", "mirror"),
        ("DRAWER KNOB", "drawer knob"), ("COAT RACK", "coat rack"), ("HOOK", "hook"), ("COAT HANGER", "hook"),
        ("DOORSTOP", "doorstop"), ("CABINET", "cabinet"), ("MAGNETS", "magnets"), ("FRIDGE MAGNETS", "magnets"),
        ("INCENSE", "incense"), ("MATCHES", "matches"), ("HANGING DECORATION", "hanging decoration"), ("DECORATION", "hanging decoration"),
        ("CHRISTMAS TREE", "christmas tree decoration"), ("BAUBLE", "christmas tree decoration"), ("BAUBLES", "christmas tree decoration"),
        ("ADVENT CALENDAR", "advent calendar"), ("CHRISTMAS DECORATION", "christmas tree decoration"),
        ("WREATH", "wreath"), ("STOCKING", "christmas stocking"), ("CRACKERS", "crackers"),
        ("SOFT TOY", "soft toy"), ("JIGSAW", "jigsaw"), ("DOLL", "doll"), ("DRAWING SLATE", "drawing slate"),
        ("BUILDING BLOCK", "building blocks"), ("PLAYHOUSE", "playhouse"),
        ("BRACELET", "bracelet"), ("NECKLACE", "necklace"), ("BANGLE", "bangle"), ("EARRINGS", "earrings"),
        ("HAIR GRIP", "hair accessory"), ("HAIR CLIP", "hair accessory"), ("BAG CHARM", "bag charm"), ("KEY RING", "key ring"),
        ("WATERING CAN", "watering can"), ("HERB MARKER", "herb marker"), ("PLANT POT", "plant pot"), ("BIRD FEEDER", "bird feeder"),
        ("HAND WARMER", "hand warmer"), ("UMBRELLA", "umbrella"), ("PARASOL", "umbrella"), ("MONEY BOX", "money box"),
        ("PLASTERS", "plasters"), ("TISSUES", "tissues"), ("GIFT BOX", "gift box"),
    ];

    /// <summary>The group (first category level) of each leaf; a leaf not listed is in <see cref="DefaultGroup"/>.</summary>
    public static readonly IReadOnlyDictionary<string, string> Groups = BuildGroups(new()
    {
        ["home decor"] = ["t-light holder", "candle holder", "t-lights", "candle", "lantern", "cushion cover", "sign", "doormat",
            "clock", "photo frame", "mirror", "hot water bottle", "drawer knob", "coat rack", "hook", "doorstop", "cabinet",
            "magnets", "incense", "matches", "hanging decoration", "card holder"],
        ["kitchen"] = ["mug", "cup and saucer", "dish", "tin", "lunch box", "cake stand", "cake cases", "baking mould", "bowl", "plate", "tray",
            "tea towel", "apron", "jar", "jug", "cutlery", "coaster", "placemats", "food cover", "bottle"],
        ["party"] = ["napkins", "bunting", "garland", "balloons", "party invites", "paper chain kit", "doilies", "gift bag"],
        ["bags"] = ["lunch bag", "jumbo bag", "charlotte bag", "tote bag", "washbag", "purse", "luggage tag", "bag"],
        ["stationery"] = ["card", "wrap", "stickers", "notebook", "pen", "pencils", "tape", "ribbons", "gift tags"],
        ["christmas"] = ["christmas card", "christmas tree decoration", "advent calendar", "wreath", "christmas stocking", "crackers"],
        ["toys"] = ["soft toy", "jigsaw", "doll", "drawing slate", "building blocks", "playhouse"],
        ["jewellery"] = ["bracelet", "necklace", "bangle", "earrings", "hair accessory", "bag charm", "key ring"],
        ["garden"] = ["watering can", "herb marker", "plant pot", "bird feeder"],
        [DefaultGroup] = ["hand warmer", "umbrella", "money box", "plasters", "tissues", "gift box"],
    });

    /// <summary>
    /// Leaf categories of consumables that shoppers buy several of (cards, wrap, napkins, cake cases, ...): a second one
    /// of the same leaf is a sensible add-on rather than a substitute.
    /// </summary>
    public static readonly IReadOnlySet<string> MultiBuyCategories = new HashSet<string>(StringComparer.Ordinal)
    {
        "card", "christmas card", "wrap", "napkins", "cake cases", "stickers", "tape", "ribbons", "gift tags", "balloons",
        "party invites", "doilies", "gift bag", "pencils", "plasters", "tissues", "matches", "incense", "t-lights", "crackers",
    };

    /// <summary>Colour words looked for in descriptions (the variant's <c>colour</c> attribute, in lower case).</summary>
    public static readonly IReadOnlyList<string> Colours =
    [
        "RED", "PINK", "BLUE", "GREEN", "WHITE", "BLACK", "IVORY", "CREAM", "YELLOW", "PURPLE", "ORANGE", "GOLD", "SILVER",
        "GREY", "BROWN", "LILAC", "TURQUOISE", "AQUA", "NAVY", "CHOCOLATE", "RUBY", "CLEAR", "NATURAL", "COPPER",
    ];

    /// <summary>Words skipped when the leaf falls back to the last word of a description.</summary>
    private static readonly HashSet<string> FallbackSkipWords = new(StringComparer.Ordinal)
    {
        "SMALL", "LARGE", "MEDIUM", "MINI", "JUMBO", "ASSORTED", "DESIGN", "DESIGNS", "SET", "OF", "IN", "WITH", "AND", "THE",
        "RETROSPOT", "POLKADOT", "SPOT", "SPOTS", "COLOUR", "COLOURS", "VINTAGE", "CM",
    };

    private static readonly HashSet<string> ColourSet = new(Colours, StringComparer.Ordinal);

    /// <summary>The catalog of the products in <paramref name="orders"/>, one record per sku, ordered by sku.</summary>
    public static IReadOnlyList<ProductUpserted> Derive(IEnumerable<HistoricalOrder> orders)
    {
        ArgumentNullException.ThrowIfNull(orders);
        var products = new SortedDictionary<string, ProductStats>(StringComparer.Ordinal);
        foreach (var order in orders)
        {
            foreach (var line in order.Lines)
            {
                if (!products.TryGetValue(line.Sku, out var p)) products.Add(line.Sku, p = new ProductStats());
                if (line.UnitPrice > 0) p.Prices.Add(line.UnitPrice);
                if (order.Timestamp > p.LastSold) p.LastSold = order.Timestamp;
                var variantId = line.VariantId ?? line.Sku;
                if (!p.Variants.TryGetValue(variantId, out var v)) p.Variants.Add(variantId, v = new VariantStats());
                v.UnitsSold += line.Quantity;
                if (line.Title is { } title) v.Descriptions[title] = v.Descriptions.GetValueOrDefault(title) + 1;
            }
        }
        return products.Select(kv => Product(kv.Key, kv.Value)).ToList();
    }

    private static ProductUpserted Product(string sku, ProductStats stats)
    {
        var variantDescriptions = stats.Variants.ToDictionary(v => v.Key, v => MostFrequent(v.Value.Descriptions));
        var title = Title(sku, stats, variantDescriptions);
        var leaf = LeafOfProduct(title, stats, variantDescriptions);
        var colours = variantDescriptions.ToDictionary(v => v.Key, v => v.Value is null ? null : ColourOf(v.Value));
        var variants = stats.Variants.Select(v =>
        {
            var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
            var colour = colours[v.Key];
            if (colour is not null) attributes["colour"] = colour.ToLowerInvariant();
            var suffix = OnlineRetailStockCodes.Suffix(v.Key);
            var colourShared = colour is not null && colours.Count(c => c.Value == colour) > 1;
            if (suffix.Length > 0 && (colour is null || colourShared)) attributes["design"] = suffix;
            return new ProductVariant { VariantId = v.Key, Attributes = attributes, InStock = true, UnitsSold = v.Value.UnitsSold };
        }).ToList();
        return new ProductUpserted
        {
            Sku = sku,
            Title = title,
            CategoryPath = [GroupOf(leaf), leaf],
            Price = Median(stats.Prices),
            MarginRate = SyntheticMarginRate(sku),
            InStock = true,
            NeedsFitDecision = false,
            Variants = variants,
            Timestamp = stats.LastSold == DateTimeOffset.MinValue ? null : stats.LastSold,
        };
    }

    private static string Title(string sku, ProductStats stats, Dictionary<string, string?> variantDescriptions)
    {
        var descriptions = variantDescriptions.Values.OfType<string>().ToList();
        if (descriptions.Count == 0) return sku;
        if (descriptions.Count == 1) return descriptions[0];
        // Multi-variant: the words all variants share, in the first variant's order ("JUMBO BAG RED RETROSPOT",
        // "JUMBO BAG STRAWBERRY" -> "JUMBO BAG"), when at least two words are shared.
        var first = descriptions[0];
        var others = descriptions.Skip(1).Select(d => Words(d).ToList()).ToList();
        var shared = new List<string>();
        foreach (var word in Words(first))
        {
            if (!others.All(o => o.Contains(word))) continue;
            foreach (var other in others) other.Remove(word);
            shared.Add(word);
        }
        if (shared.Count >= 2) return string.Join(' ', shared);
        // Otherwise the first variant's description without its colour words, when two words or more remain.
        var withoutColours = Words(first).Where(w => !ColourSet.Contains(w)).ToList();
        return withoutColours.Count >= 2 ? string.Join(' ', withoutColours) : first;
    }

    private static string LeafOfProduct(string title, ProductStats stats, Dictionary<string, string?> variantDescriptions)
    {
        if (MatchProductType(title) is { } leaf) return leaf;
        foreach (var description in variantDescriptions.Values.OfType<string>())
            if (MatchProductType(description) is { } fromVariant) return fromVariant;
        return LeafCategoryOf(title);
    }

    /// <summary>
    /// The leaf category of a description: the product type of the longest phrase of <see cref="ProductTypes"/> it
    /// contains as whole words, else its last word that is not a colour, size or pattern word, in lower case
    /// ("WHITE HANGING HEART T-LIGHT HOLDER" -> "t-light holder", "EDWARDIAN PARASOL PINK" -> "umbrella",
    /// "SET 7 BABUSHKA NESTING BOXES" -> "boxes").
    /// </summary>
    public static string LeafCategoryOf(string description)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (MatchProductType(description) is { } leaf) return leaf;
        var words = Words(description).Where(w => w.Any(char.IsAsciiLetter)).ToList();
        if (words.Count == 0) return UnknownLeaf;
        for (var i = words.Count - 1; i >= 0; i--)
            if (!ColourSet.Contains(words[i]) && !FallbackSkipWords.Contains(words[i]))
                return words[i].ToLowerInvariant();
        return words[^1].ToLowerInvariant();
    }

    /// <summary>The group of a leaf category (home decor, kitchen, party, bags, ...), <see cref="DefaultGroup"/> if none.</summary>
    public static string GroupOf(string leaf) => Groups.GetValueOrDefault(leaf, DefaultGroup);

    /// <summary>The first colour word of a description (upper case), or null.</summary>
    public static string? ColourOf(string description) => Words(description).FirstOrDefault(ColourSet.Contains);

    /// <summary>
    /// A SYNTHETIC margin rate: the data set has no costs, so each sku gets a stable made-up rate in
    /// [<see cref="MinMarginRate"/>, <see cref="MaxMarginRate"/>] from the 32-bit FNV-1a hash of its UTF-8 bytes
    /// (not string.GetHashCode, which changes from process to process), rounded to 4 decimals.
    /// </summary>
    public static double SyntheticMarginRate(string sku)
    {
        var fraction = Fnv1a32(Encoding.UTF8.GetBytes(sku)) / (double)uint.MaxValue;
        return Math.Round(MinMarginRate + (MaxMarginRate - MinMarginRate) * fraction, 4, MidpointRounding.AwayFromZero);
    }

    /// <summary>32-bit FNV-1a.</summary>
    public static uint Fnv1a32(ReadOnlySpan<byte> data)
    {
        var hash = 2166136261u;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= 16777619u;
        }
        return hash;
    }

    private static string? MatchProductType(string description)
    {
        var padded = " " + string.Join(' ', Words(description)) + " ";
        string? best = null;
        var bestLength = 0;
        foreach (var (phrase, leaf) in ProductTypes)
        {
            if (phrase.Length <= bestLength) continue;
            if (padded.Contains(" " + phrase + " ", StringComparison.Ordinal))
            {
                best = leaf;
                bestLength = phrase.Length;
            }
        }
        return best;
    }

    /// <summary>Upper-case words of a description: letters, digits and hyphens; everything else separates.</summary>
    private static IEnumerable<string> Words(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.ToUpperInvariant()) sb.Append(char.IsAsciiLetterOrDigit(c) || c == '-' ? c : ' ');
        return sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string? MostFrequent(Dictionary<string, int> counts) =>
        counts.Count == 0 ? null : counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).First().Key;

    private static decimal Median(List<decimal> values)
    {
        if (values.Count == 0) return 0m;
        values.Sort();
        var mid = values.Count / 2;
        var median = values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
        return Math.Round(median, 2, MidpointRounding.AwayFromZero);
    }

    private static Dictionary<string, string> BuildGroups(Dictionary<string, string[]> byGroup)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (group, leaves) in byGroup)
            foreach (var leaf in leaves) map.Add(leaf, group);
        return map;
    }

    private sealed class ProductStats
    {
        public List<decimal> Prices { get; } = [];
        public DateTimeOffset LastSold { get; set; } = DateTimeOffset.MinValue;
        public SortedDictionary<string, VariantStats> Variants { get; } = new(StringComparer.Ordinal);
    }

    private sealed class VariantStats
    {
        public long UnitsSold { get; set; }
        public Dictionary<string, int> Descriptions { get; } = new(StringComparer.Ordinal);
    }
}
