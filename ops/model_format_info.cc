// Prints the op library's build info as JSON: the TensorFlow version it was
// built against (argv[1]) and the model-format constants Python reads
// (tf_dynemb/_loader.py), taken from model_format.h so they are stated once.
#include <cstdio>

#include "ops/core/model_format.h"

namespace tf_dynemb {
namespace {

void PrintBuildInfo(const char* tensorflow_version) {
  const uint32_t magic = kModelMagic;
  std::printf("{\"tensorflow_version\": \"%s\", \"model_format\": {", tensorflow_version);
  std::printf("\"magic\": \"%c%c%c%c\", ", magic & 0xFF, (magic >> 8) & 0xFF,
              (magic >> 16) & 0xFF, magic >> 24);
  std::printf("\"version\": %u, \"header_bytes\": %u, \"checksum_end\": %u, ", kModelVersion,
              kHeaderBytes, kChecksumEnd);
  std::printf("\"section_table_at\": %u, \"section_ref_bytes\": 8, ", kHeaderBytes);
  std::printf(
      "\"fields\": {\"magic\": %u, \"version\": %u, \"checksum_lo\": %u, \"checksum_hi\": %u, "
      "\"total_size\": %u, \"num_words\": %u, \"num_pieces\": %u, \"num_buckets\": %u, "
      "\"max_bytes_per_word\": %u, \"unknown_row\": %u, \"suffix_root\": %u, "
      "\"max_piece_bytes\": %u, \"max_word_probes\": %u, \"num_ngram_buckets\": %u, "
      "\"ngram_lengths\": %u, \"flags\": %u}, ",
      kFieldMagic, kFieldVersion, kFieldChecksumLo, kFieldChecksumHi, kFieldTotalSize,
      kFieldNumWords, kFieldNumPieces, kFieldNumBuckets, kFieldMaxBytesPerWord,
      kFieldUnknownRow, kFieldSuffixRoot, kFieldMaxPieceBytes, kFieldMaxWordProbes,
      kFieldNumNgramBuckets, kFieldNgramLengths, kFieldFlags);
  std::printf(
      "\"sections\": {\"suffix_indicator\": %u, \"word_offsets\": %u, \"word_bytes\": %u, "
      "\"piece_offsets\": %u, \"piece_bytes\": %u, \"word_slots\": %u, \"trie_units\": %u}}}\n",
      kSuffixIndicator, kWordOffsets, kWordBytes, kPieceOffsets, kPieceBytes, kWordSlots,
      kTrieUnits);
}

}  // namespace
}  // namespace tf_dynemb

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s TENSORFLOW_VERSION\n", argv[0]);
    return 2;
  }
  tf_dynemb::PrintBuildInfo(argv[1]);
  return 0;
}
