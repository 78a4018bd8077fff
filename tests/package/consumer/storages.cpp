// Opens a SQLite database through the installed calp::storages and stores a household.
#include <calp/calp.hpp>
#include <calp/storage/open.hpp>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const auto db = calp::open_storage(argv[1], calp::open_mode::create_if_missing);
  const auto household = calp::household::from_json(R"({"dossier": "1234567", "members": [
      {"id": "p1", "role": "allocataire", "birth_date": "1985-03-02"}]})");
  calp::write_batch batch;
  batch.put(household.value(), 0);
  if (!db->commit(batch)) return 1;
  std::cout << "stored " << db->find_household(household->dossier())->value.dossier().str() << '\n';
}
