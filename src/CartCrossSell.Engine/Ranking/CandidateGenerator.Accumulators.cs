using System.Numerics;

namespace CartCrossSell.Engine.Ranking;

// The candidate generator's per-call scratch: accumulators by slot and the selection that marks each source's top.
public sealed partial class CandidateGenerator
{
    /// <summary>Accumulators of one call, by slot; grown as needed and reused by the next call on the thread.</summary>
    private sealed class Accumulators : IComparer<int>
    {
        public Acc[] Items = new Acc[512];
        public double[] Keys = new double[512];
        public int[] Order = new int[512];
        public int Count;

        /// <summary>The reader of the current call: row keys break ties.</summary>
        public RowReader? Reader;

        // Per source (basket, last items, sequence, category, popular): negated scores and slots, as many as Items.
        public readonly double[][] SourceKeys = NewArrays<double>(Sources, 512);
        public readonly int[][] SourceOrder = NewArrays<int>(Sources, 512);
        public readonly int[] Counts = new int[Sources];
        public readonly int[] Depths = new int[Sources];

        private static T[][] NewArrays<T>(int count, int length)
        {
            var arrays = new T[count][];
            for (var i = 0; i < count; i++) arrays[i] = new T[length];
            return arrays;
        }

        /// <summary>Candidate slots by row key: which of equal scores at a source's cut make its top.</summary>
        public int Compare(int x, int y) => string.CompareOrdinal(Reader!.Key(Items[x].Handle), Reader.Key(Items[y].Handle));

        /// <summary>Whether (negated score, slot) <paramref name="ka"/> comes before <paramref name="kb"/>: higher score first, then row key.</summary>
        public bool Less(double ka, int a, double kb, int b) => ka < kb || (ka == kb && Compare(a, b) < 0);

        /// <summary>Moves the <paramref name="m"/> first entries in (negated score, row key) order to the front, in any order.</summary>
        public void SelectSmallest(double[] keys, int[] order, int n, int m)
        {
            int lo = 0, hi = n - 1, target = m - 1;
            while (lo < hi)
            {
                // Median of three as the pivot, moved to hi.
                var mid = (lo + hi) >>> 1;
                if (Less(keys[mid], order[mid], keys[lo], order[lo])) Swap(keys, order, mid, lo);
                if (Less(keys[hi], order[hi], keys[lo], order[lo])) Swap(keys, order, hi, lo);
                if (Less(keys[mid], order[mid], keys[hi], order[hi])) Swap(keys, order, mid, hi);
                double pk = keys[hi];
                var po = order[hi];
                var store = lo;
                for (var i = lo; i < hi; i++)
                {
                    // No branch on the comparison of scores (random scores mispredict half the time): every entry is
                    // swapped with the store position, which advances only past the entries that come first. Equal
                    // scores, rare, take the row keys' comparison.
                    var k = keys[i];
                    var o = order[i];
                    var first = k < pk;
                    if (k == pk) first = Compare(o, po) < 0;
                    keys[i] = keys[store];
                    order[i] = order[store];
                    keys[store] = k;
                    order[store] = o;
                    store += first ? 1 : 0;
                }
                Swap(keys, order, store, hi);
                if (store == target) return;
                if (store < target) lo = store + 1;
                else hi = store - 1;
            }
        }

        /// <summary>How many of the negated scores [start, end) are lower than <paramref name="key"/> (higher scores), counted side by side.</summary>
        public static int CountLess(double[] keys, int start, int end, double key)
        {
            var span = keys.AsSpan(start, end - start);
            long less = 0;
            var i = 0;
            if (Vector.IsHardwareAccelerated && span.Length >= Vector<double>.Count)
            {
                var k = new Vector<double>(key);
                var counts = Vector<long>.Zero;
                for (; i <= span.Length - Vector<double>.Count; i += Vector<double>.Count)
                    counts -= Vector.LessThan(new Vector<double>(span[i..]), k);
                less = Vector.Sum(counts);
            }
            for (; i < span.Length; i++)
                if (span[i] < key) less++;
            return (int)less;
        }

        private static void Swap(double[] keys, int[] order, int a, int b)
        {
            (keys[a], keys[b]) = (keys[b], keys[a]);
            (order[a], order[b]) = (order[b], order[a]);
        }
        private ItemRows[] _cartRows = [];
        private UInt128[] _sortKeys = [];
        private string[] _memberSkus = [];
        private int[] _memberOrder = [];

        /// <summary>The union's slots in the order they joined it (<see cref="MemberCount"/> of them).</summary>
        public int[] Members = new int[256];
        public int MemberCount;

        /// <summary>Marks a slot as in a source's top; the first source to take it adds it to the union.</summary>
        public void Join(int slot, CandidateSource source)
        {
            ref var c = ref Items[slot];
            if (c.Sources == CandidateSource.None)
            {
                if (MemberCount == Members.Length) Array.Resize(ref Members, 2 * MemberCount);
                Members[MemberCount++] = slot;
            }
            c.Sources |= source;
        }

        // Scratch of the union's sort (SkuOrder): its members' skus, sku keys and order.
        public string[] MemberSkus(int count) => Scratch(ref _memberSkus, count);
        public int[] MemberOrder(int count) => Scratch(ref _memberOrder, count);
        public UInt128[] SortKeys(int count) => Scratch(ref _sortKeys, count);

        private static T[] Scratch<T>(ref T[] array, int count)
        {
            if (array.Length < count) array = new T[Math.Max(count, Math.Max(256, 2 * array.Length))];
            return array;
        }

        /// <summary>Scratch for the cart items' rows (item and sequence) of this call.</summary>
        public ItemRows[] CartRows(int count) => Scratch(ref _cartRows, count);

        /// <summary>Scratch of the similar-baskets source: its top (the reference: every scored item, sorted).</summary>
        public SimilarItem[] SimilarItems(int count) => Scratch(ref _similarItems, count);

        private SimilarItem[] _similarItems = [];

        // Scratch of the similar-baskets top: the highest scores seen (the cut), the items at the cut and their skus.
        public double[] SimilarScores(int count) => Scratch(ref _similarScores, count);
        public string[] TiedSkus(int count) => Scratch(ref _tiedSkus, count);
        public SimilarItem[] TiedItems(int count) => Scratch(ref _tiedItems, count);

        private double[] _similarScores = [];
        private string[] _tiedSkus = [];
        private SimilarItem[] _tiedItems = [];

        /// <summary>
        /// The similar-baskets index's id of a candidate's item, remembered by row handle from call to call on this
        /// thread (-1: not known yet): a union member below the similar top reads its score by id instead of looking
        /// its sku up in the index (~130 string lookups per call). Direct-mapped: a colliding handle takes the entry.
        /// The index checks the id against the sku before using it, so a changed index or row store costs one lookup.
        /// </summary>
        public ref int SimilarIdOf(int handle)
        {
            ref var e = ref _similarIds[(int)((uint)(handle * -1640531535) >> 20)];
            if (e.HandlePlusOne != handle + 1)
            {
                e.HandlePlusOne = handle + 1;
                e.Id = -1;
            }
            return ref e.Id;
        }

        private readonly SimilarId[] _similarIds = new SimilarId[4096];

        private struct SimilarId
        {
            public int HandlePlusOne, Id;
        }

        private readonly List<string> _cartSkus = [];

        /// <summary>The cart's distinct skus (most recent first) in a list reused by the next call.</summary>
        public List<string> CartSkus(List<CartItemEvidence> cart)
        {
            _cartSkus.Clear();
            foreach (var item in cart) _cartSkus.Add(item.Sku);
            return _cartSkus;
        }

        /// <summary>Scratch of the category source: the cart's leaves, the complementary categories, the chosen ones.</summary>
        public readonly List<(string Leaf, double Recency)> CartLeaves = [];
        public readonly List<(int Handle, double Weight)> CartLeafRows = [];
        public readonly List<CategoryScore> Categories = [];
        public readonly List<int> ChosenCategories = [];

        // Recorded pair weights (cart index, weight), one linked list per slot from Acc.PairHead: a cart item's row names
        // each neighbour once, so a slot holds at most one entry per cart item.
        public int[] PairNext = new int[1024];
        public int[] PairCart = new int[1024];
        public double[] PairWeight = new double[1024];
        public int PairEntries;

        public void AddPair(int slot, int cartIndex, double pair)
        {
            if (PairEntries == PairNext.Length)
            {
                Array.Resize(ref PairNext, 2 * PairEntries);
                Array.Resize(ref PairCart, 2 * PairEntries);
                Array.Resize(ref PairWeight, 2 * PairEntries);
            }
            ref var c = ref Items[slot];
            PairNext[PairEntries] = c.PairHead;
            PairCart[PairEntries] = cartIndex;
            PairWeight[PairEntries] = pair;
            c.PairHead = PairEntries++;
        }

        public int Add(int handle, double weight)
        {
            if (Count == Items.Length)
            {
                Array.Resize(ref Items, Items.Length * 2);
                Keys = new double[Items.Length];
                Order = new int[Items.Length];
                for (var s = 0; s < Sources; s++)
                {
                    SourceKeys[s] = new double[Items.Length];
                    SourceOrder[s] = new int[Items.Length];
                }
            }
            Items[Count] = new Acc { Handle = handle, Weight = weight, BestCartItem = -1, SecondCartItem = -1, PairHead = -1 };
            return Count++;
        }
    }
}


/// <summary>What the sources learn about one candidate during a call (a struct: only the union becomes objects).</summary>
internal struct Acc
{
    public int Handle;
    public double Weight;
    public double CosWeighted, CosUniform, CosMax, CountSum, CountMax, ConfidenceSum, ConfidenceMax, LiftMax;
    public int Matches;
    public double LastCos, SecondLastCos, LastConfidence, NextSum, NextFromLast, PreviousSum, PreviousFromLast, CategoryScore;
    public int BestSellerRank;
    public CandidateSource Sources;
    public int RankBasket, RankLastItems, RankSequence, RankCategory, RankSimilar;
    public double Similar;
    public int BestCartItem, SecondCartItem;
    public double BestContribution, SecondContribution;
    /// <summary>First of its recorded pair weights (Accumulators.PairNext), -1 none.</summary>
    public int PairHead;

    public void AddContribution(int cartIndex, double contribution) =>
        TopTwo.Add(ref BestCartItem, ref BestContribution, ref SecondCartItem, ref SecondContribution, cartIndex, contribution);

    public readonly CandidateEvidence ToEvidence(string sku) => CopyTo(new CandidateEvidence { Sku = sku }, sku);

    /// <summary>
    /// Writes every field of <paramref name="e"/> (a new candidate or a pooled one from an earlier call): what this
    /// accumulator learned, and nothing left of the earlier call (the similar-baskets score and the pair entries are
    /// set by the generator afterwards, reset here).
    /// </summary>
    public readonly CandidateEvidence CopyTo(CandidateEvidence e, string sku)
    {
        e.Rename(sku);
        e.Weight = Weight;
        e.CosWeighted = CosWeighted;
        e.CosUniform = CosUniform;
        e.CosMax = CosMax;
        e.CountSum = CountSum;
        e.CountMax = CountMax;
        e.ConfidenceSum = ConfidenceSum;
        e.ConfidenceMax = ConfidenceMax;
        e.LiftMax = LiftMax;
        e.Matches = Matches;
        e.LastCos = LastCos;
        e.SecondLastCos = SecondLastCos;
        e.LastConfidence = LastConfidence;
        e.NextSum = NextSum;
        e.NextFromLast = NextFromLast;
        e.PreviousSum = PreviousSum;
        e.PreviousFromLast = PreviousFromLast;
        e.CategoryScore = CategoryScore;
        e.BestSellerRank = BestSellerRank;
        e.Sources = Sources;
        e.RankBasket = RankBasket;
        e.RankLastItems = RankLastItems;
        e.RankSequence = RankSequence;
        e.RankCategory = RankCategory;
        e.RankSimilar = RankSimilar;
        e.SimilarScore = Similar;
        e.BestCartItem = BestCartItem;
        e.SecondCartItem = SecondCartItem;
        e.PairsOf = null;
        e.PairStart = 0;
        e.PairCount = 0;
        return e;
    }
}
